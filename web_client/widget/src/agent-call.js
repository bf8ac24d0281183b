/*
 * The agent console's voice and video (web_client/agent/console.js imports
 * /static/widget/helpwire-call.js for its side effect): the widget's call code, as a classic
 * script that defines the global HelpwireCall on the console's own page.
 */
import { HelpwireCall } from "./call.js";

if (!window.HelpwireCall) window.HelpwireCall = HelpwireCall;
