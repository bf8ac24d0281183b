"use strict";
// Helpwire's configuration on this page (docs/widget.md), in a file of its own: the page's
// Content-Security-Policy allows no inline script.
window.HelpwireConfig = {
  store: "kvartersbutiken-sthlm",
  channel: "web",
  language: () => window.Shop.language,
  page: () => window.Shop.page(),
  loggedIn: () => window.Shop.loggedIn,
  context: () => window.Shop.helpContext(),
};
