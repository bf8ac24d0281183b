/*
 * Builds the Help widget with esbuild (docs/widget.md, "The bundle"): `node web_client/widget/build.mjs`
 * (make runs it). Sources are ES modules in src/; the output sits beside this file, where the
 * server serves it (/static/widget/...) and the wheel carries it:
 *
 *   helpwire.js        the one script a shop embeds (classic script, minified): the button, the
 *                      panel, its CSS and texts. One global: Helpwire.
 *   chunks/*.js        ES modules it imports on demand: socket (its own socket.io client, at the
 *                      first case), call (voice/video), consent, photo.
 *   helpwire-call.js   the agent console's call code (a classic script defining HelpwireCall).
 */
import { mkdir, readFile, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const HERE = dirname(fileURLToPath(import.meta.url));
const SRC = join(HERE, "src");
// browsers the widget supports: the last years of Chrome, Safari (iOS kiosks) and Firefox
const TARGET = ["chrome100", "safari15", "firefox100", "edge100"];

/** `import CSS from "./x.css"`: the minified stylesheet as a string (for a constructed sheet). */
const cssAsText = {
  name: "css-as-text",
  setup(build) {
    build.onLoad({ filter: /\.css$/ }, async (args) => {
      const source = await readFile(args.path, "utf8");
      const { code } = await esbuild.transform(source, { loader: "css", minify: true, target: TARGET });
      return { contents: code.trim(), loader: "text" };
    });
  },
};

const common = {
  bundle: true, minify: true, target: TARGET, platform: "browser", legalComments: "eof",
  plugins: [cssAsText], logLevel: "warning", charset: "utf8",
};

await rm(join(HERE, "chunks"), { recursive: true, force: true });
await mkdir(join(HERE, "chunks"), { recursive: true });
await Promise.all([
  esbuild.build({
    ...common, entryPoints: [join(SRC, "helpwire.js")], outfile: join(HERE, "helpwire.js"), format: "iife",
  }),
  esbuild.build({
    ...common,
    entryPoints: Object.fromEntries(["call", "consent", "photo", "socket"].map((name) => [name, join(SRC, `${name}.js`)])),
    outdir: join(HERE, "chunks"), format: "esm", splitting: true, chunkNames: "shared-[hash]",
  }),
  esbuild.build({
    ...common, entryPoints: [join(SRC, "agent-call.js")], outfile: join(HERE, "helpwire-call.js"), format: "iife",
  }),
]);
