"use strict";
// Helpwire's configuration on this page (docs/widget.md), in a file of its own: the page's
// Content-Security-Policy allows no inline script.
window.HelpwireConfig = {
  store: () => window.Kiosk.store,
  channel: "kiosk",
  kioskId: () => window.Kiosk.kioskId,
  position: "checkout",
  device: "kiosk",
  size: "large",
  page: "/kiosk",
  language: () => window.Kiosk.language,
  context: () => window.Kiosk.helpContext(),
};
