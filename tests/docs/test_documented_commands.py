"""Every shell command README.md and docs/operations.md show in a ```sh block runs as written.

Convention: ```sh blocks are commands an operator types (run here, in order, in one scratch
folder, `python`/`.venv/bin/python`/`helpwire` meaning this test's interpreter running this
checkout); other blocks (```console, plain ```) show syntax or other machines' files. A `serve`
command is started, asked for its pages, and stopped with SIGTERM.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DOCUMENTS = ("README.md", "docs/operations.md")
SH_BLOCK = re.compile(r"^```sh\n(.*?)^```", re.MULTILINE | re.DOTALL)
PYTHON = re.compile(r"^(?:\.venv/bin/python|python3?)(?= )|^helpwire(?= )")
SERVING = re.compile(r"Helpwire is serving on (http://127\.0\.0\.1:\d+)/")
COMMAND_SECONDS = 180


def documented_commands() -> list[tuple[str, str]]:
    """(document, command) for every command line of every ```sh block, in order."""
    found = []
    for document in DOCUMENTS:
        for block in SH_BLOCK.findall((REPO / document).read_text(encoding="utf-8")):
            for line in block.replace("\\\n", " ").splitlines():
                command = line.split(" #", 1)[0].strip()
                if command and not command.startswith("#"):
                    found.append((document, command))
    return found


def runnable(command: str) -> str:
    return PYTHON.sub(lambda m: shlex.quote(sys.executable) + (" -m server" if m.group(0) == "helpwire"
                                                                else ""), command)


def environment(scratch: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HELPWIRE_") and k != "PORT"}
    env.update(PYTHONPATH=str(REPO), HELPWIRE_STORAGE__DATA_DIR=str(scratch / "data"),
               HELPWIRE_LOG__JSON_LINES="true")
    return env


def serve(command: str, scratch: Path) -> str | None:
    """Start a documented `serve`, load its shop page, stop it; what went wrong, if anything."""
    command = re.sub(r"--port \d+", "--port 0", command)
    with subprocess.Popen(["bash", "-c", f"exec {command}"], cwd=scratch, env=environment(scratch),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as process:
        assert process.stdout is not None
        try:
            for line in process.stdout:  # ends when the process does
                if found := SERVING.search(line):
                    with urllib.request.urlopen(found.group(1) + "/", timeout=30) as response:
                        if response.status != 200:
                            return f"GET / answered {response.status}"
                    break
            else:
                return "exited before serving: " + (process.stderr.read() if process.stderr else "")
        finally:
            process.send_signal(signal.SIGTERM)
            code = process.wait(timeout=60)
        return None if code == 0 else f"exit code {code} after SIGTERM"


def test_the_docs_show_commands_to_run() -> None:
    commands = [command for _, command in documented_commands()]
    for expected in ("server demo-data", "server report", "server backup", "server restore",
                     "--role supervisor", "server serve"):
        assert any(expected in command for command in commands), expected


def test_every_documented_command_runs_without_error(tmp_path: Path) -> None:
    failures = []
    for document, command in documented_commands():
        if re.search(r"\bserve\b", command):
            problem = serve(runnable(command), tmp_path)
        else:
            done = subprocess.run(["bash", "-euo", "pipefail", "-c", runnable(command)], cwd=tmp_path,
                                  env=environment(tmp_path), capture_output=True, text=True,
                                  timeout=COMMAND_SECONDS)
            problem = None if done.returncode == 0 else f"exit {done.returncode}: {done.stderr[-1500:]}"
        if problem is not None:
            failures.append(f"{document}: `{command}`: {problem}")
    assert failures == [], "\n".join(failures)
