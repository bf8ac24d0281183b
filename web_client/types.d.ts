// Globals the type check (tsconfig.json, make lint) must know of: the widget's classic call
// script (helpwire-call.js) defines HelpwireCall and the media registry; Safari's old prefix.
interface Window {
  HelpwireCall: any;
  __helpwireMedia?: { calls: Map<string, any> };
  webkitAudioContext?: typeof AudioContext;
}
