/*
 * The demo shop: products, a cart and a checkout (browsing → cart → payment → after_payment),
 * all on one page. The state lives in sessionStorage, so neither the Help overlay nor a reload
 * loses the cart. It tells the Help widget where the customer is through window.Shop.
 */
import { h } from "/static/shared/dom.js";

(function () {
  "use strict";

  const params = new URLSearchParams(location.search);
  const language = params.get("lang") === "en" ? "en" : "sv";
  const locale = { sv: "sv-SE", en: "en-SE" }[language];
  const money = new Intl.NumberFormat(locale, { style: "currency", currency: "SEK" });

  const PRODUCTS = [
    { sku: "kaffe-450", price: 59.9, emoji: "☕", sv: "Kaffe mellanrost 450 g", en: "Coffee, medium roast 450 g" },
    { sku: "bananer-1kg", price: 25.6, emoji: "🍌", sv: "Ekologiska bananer 1 kg", en: "Organic bananas 1 kg" },
    { sku: "starkol-50", price: 28.5, emoji: "🍺", sv: "Starköl 7,5 % 50 cl", en: "Strong beer 7.5% 50 cl", ageRestricted: true },
    { sku: "havredryck-1l", price: 21.9, emoji: "🥛", sv: "Havredryck 1 l", en: "Oat drink 1 l" },
    { sku: "kanelbullar-6", price: 39, emoji: "🥐", sv: "Kanelbullar 6-pack", en: "Cinnamon buns, 6-pack" },
  ];
  const STEPS = ["browsing", "cart", "payment", "after_payment"];
  // the "page" each step reports to the widget's display rules (the URL itself never changes)
  const PAGES = { browsing: "/", cart: "/cart", payment: "/checkout", after_payment: "/checkout/done" };

  const TEXT = {
    sv: {
      title: "Kvartersbutiken – Helpwire demo",
      skip: "Hoppa till innehållet",
      languages: "Språk",
      steps: "Köpsteg",
      stepNames: { browsing: "Handla", cart: "Korg", payment: "Betalning", after_payment: "Klart" },
      stepOf: "Steg {n} av 4",
      footer: "Demobutik för Helpwire. Inga riktiga köp görs.",
      login: "Logga in (demo)",
      logout: "Logga ut",
      cartSummary: "Korgen: {count} st, {total}",
      cartEmpty: "Korgen är tom",
      shopHeading: "Veckans varor",
      add: "Lägg i korgen",
      ageBadge: "18+",
      ageBadgeLong: "Åldersgräns 18 år",
      toCart: "Till korgen",
      cartHeading: "Din korg",
      product: "Vara",
      quantity: "Antal",
      price: "Pris",
      sum: "Summa",
      total: "Totalt",
      fewer: "En mindre",
      more: "En till",
      emptyCart: "Korgen är tom. Lägg till något från veckans varor.",
      keepShopping: "Fortsätt handla",
      toPayment: "Till betalning",
      paymentHeading: "Betalning",
      payMethod: "Betalsätt",
      card: "Kort",
      swish: "Swish",
      ageNote: "Korgen innehåller varor med åldersgräns. Vi kontrollerar ålder innan leverans.",
      pay: "Betala {total}",
      backToCart: "Tillbaka till korgen",
      doneHeading: "Tack för ditt köp!",
      receipt: "Ditt kvitto ligger i mobilen.",
      shopAgain: "Handla igen",
      added: "{name} ligger i korgen.",
    },
    en: {
      title: "Corner shop – Helpwire demo",
      skip: "Skip to content",
      languages: "Language",
      steps: "Checkout steps",
      stepNames: { browsing: "Shop", cart: "Cart", payment: "Payment", after_payment: "Done" },
      stepOf: "Step {n} of 4",
      footer: "Helpwire demo shop. Nothing is really bought.",
      login: "Sign in (demo)",
      logout: "Sign out",
      cartSummary: "Cart: {count} items, {total}",
      cartEmpty: "The cart is empty",
      shopHeading: "This week's goods",
      add: "Add to cart",
      ageBadge: "18+",
      ageBadgeLong: "Age limit 18",
      toCart: "Go to cart",
      cartHeading: "Your cart",
      product: "Item",
      quantity: "Quantity",
      price: "Price",
      sum: "Sum",
      total: "Total",
      fewer: "One fewer",
      more: "One more",
      emptyCart: "The cart is empty. Add something from this week's goods.",
      keepShopping: "Keep shopping",
      toPayment: "Go to payment",
      paymentHeading: "Payment",
      payMethod: "Payment method",
      card: "Card",
      swish: "Swish",
      ageNote: "The cart holds age-restricted goods. Age is checked before delivery.",
      pay: "Pay {total}",
      backToCart: "Back to cart",
      doneHeading: "Thank you for your order!",
      receipt: "Your receipt is in your phone.",
      shopAgain: "Shop again",
      added: "{name} is in the cart.",
    },
  }[language];
  const fill = (text, values) => text.replace(/\{(\w+)\}/g, (_, key) => values[key]);

  // ------------------------------------------------------------------ state (survives reloads)

  const saved = JSON.parse(sessionStorage.getItem("shop:state") || "null") || {};
  const state = {
    cart: saved.cart || {},        // sku → quantity
    step: STEPS.includes(saved.step) ? saved.step : "browsing",
    loggedIn: Boolean(saved.loggedIn),
    method: saved.method || "card",
  };
  const save = () => sessionStorage.setItem("shop:state", JSON.stringify(state));

  const product = (sku) => PRODUCTS.find((p) => p.sku === sku);
  const lines = () => Object.entries(state.cart)
    .filter(([, quantity]) => quantity > 0)
    .map(([sku, quantity]) => ({ product: product(sku), quantity }));
  const total = () => lines().reduce((sum, l) => sum + Math.round(l.product.price * 100) * l.quantity, 0) / 100;
  const count = () => lines().reduce((sum, l) => sum + l.quantity, 0);

  // ------------------------------------------------------------------ what the Help widget reads

  window.Shop = {
    language,
    get loggedIn() { return state.loggedIn; },
    page: () => PAGES[state.step],
    /** The routing signals only the shop knows: the cart and the payment step. */
    helpContext: () => ({
      payment_step: state.step,
      position: null,
      cart: {
        currency: "SEK",
        lines: lines().map((l) => ({
          sku: l.product.sku,
          name: l.product[language],
          quantity: l.quantity,
          unit_price: l.product.price,
          age_restricted: Boolean(l.product.ageRestricted),
        })),
      },
    }),
  };

  // ------------------------------------------------------------------ rendering


  function go(step) {
    state.step = step;
    save();
    render();
    // a new view: move focus to its heading, as a page load would
    const heading = document.querySelector("#view h1");
    if (heading) heading.focus();
    if (window.Helpwire) window.Helpwire.update(); // the display rules may depend on the page
  }

  function setQuantity(sku, quantity) {
    state.cart[sku] = Math.max(0, quantity);
    if (!state.cart[sku]) delete state.cart[sku];
    save();
    render();
  }

  function renderChrome() {
    document.documentElement.lang = language;
    document.title = TEXT.title;
    document.querySelector("[data-text=skip]").textContent = TEXT.skip;
    document.querySelector("[data-text=footer]").textContent = TEXT.footer;
    document.querySelector("[data-aria=languages]").setAttribute("aria-label", TEXT.languages);
    document.querySelector("[data-aria=steps]").setAttribute("aria-label", TEXT.steps);
    for (const link of document.querySelectorAll("[data-lang]")) {
      if (link.dataset.lang === language) link.setAttribute("aria-current", "true");
      else link.removeAttribute("aria-current");
    }
    const login = document.getElementById("login");
    login.textContent = state.loggedIn ? TEXT.logout : TEXT.login;
    login.setAttribute("aria-pressed", String(state.loggedIn));
    document.getElementById("cart-summary").textContent = count()
      ? fill(TEXT.cartSummary, { count: count(), total: money.format(total()) })
      : TEXT.cartEmpty;
    const steps = document.getElementById("steps");
    steps.replaceChildren(...STEPS.map((step, index) => h("li", {
      class: step === state.step ? "current" : (index < STEPS.indexOf(state.step) ? "past" : ""),
      "aria-current": step === state.step ? "step" : null,
    }, h("span", { class: "sr-only", text: `${fill(TEXT.stepOf, { n: index + 1 })}: ` }), TEXT.stepNames[step])));
  }

  function browsingView() {
    const grid = h("ul", { class: "products" }, ...PRODUCTS.map((p) => h("li", { class: "product" },
      h("span", { class: "product-emoji", "aria-hidden": "true", text: p.emoji }),
      h("h2", { class: "product-name", text: p[language] }),
      p.ageRestricted ? h("p", { class: "badge" },
        h("span", { "aria-hidden": "true", text: TEXT.ageBadge }),
        h("span", { class: "sr-only", text: TEXT.ageBadgeLong })) : null,
      h("p", { class: "price", text: money.format(p.price) }),
      h("button", {
        type: "button", class: "btn btn-primary", "data-add": p.sku,
        onclick: () => {
          setQuantity(p.sku, (state.cart[p.sku] || 0) + 1);
          announce(fill(TEXT.added, { name: p[language] }));
        },
      }, TEXT.add, h("span", { class: "sr-only", text: ` – ${p[language]}` })))));
    return [
      h("h1", { tabindex: "-1", text: TEXT.shopHeading }),
      grid,
      h("div", { class: "actions" },
        h("button", { type: "button", class: "btn btn-primary", "data-go": "cart", onclick: () => go("cart") }, TEXT.toCart)),
    ];
  }

  function cartTable() {
    return h("table", { class: "cart" },
      h("caption", { class: "sr-only", text: TEXT.cartHeading }),
      h("thead", {}, h("tr", {},
        h("th", { scope: "col", text: TEXT.product }),
        h("th", { scope: "col", text: TEXT.quantity }),
        h("th", { scope: "col", class: "num", text: TEXT.sum }))),
      h("tbody", {}, ...lines().map((l) => h("tr", {},
        h("th", { scope: "row" }, l.product[language],
          l.product.ageRestricted ? h("span", { class: "badge badge-inline", title: TEXT.ageBadgeLong },
            h("span", { "aria-hidden": "true", text: TEXT.ageBadge }),
            h("span", { class: "sr-only", text: TEXT.ageBadgeLong })) : null),
        h("td", {}, state.step === "cart" ? h("span", { class: "qty" },
          h("button", { type: "button", class: "btn btn-small", "aria-label": `${TEXT.fewer}: ${l.product[language]}`,
            onclick: () => setQuantity(l.product.sku, l.quantity - 1) }, "−"),
          h("output", { text: String(l.quantity) }),
          h("button", { type: "button", class: "btn btn-small", "aria-label": `${TEXT.more}: ${l.product[language]}`,
            onclick: () => setQuantity(l.product.sku, l.quantity + 1) }, "+"))
          : String(l.quantity)),
        h("td", { class: "num", text: money.format(l.product.price * l.quantity) })))),
      h("tfoot", {}, h("tr", {},
        h("th", { scope: "row", colspan: "2", text: TEXT.total }),
        h("td", { class: "num total", "data-total": "", text: money.format(total()) }))));
  }

  function cartView() {
    if (!lines().length) {
      return [
        h("h1", { tabindex: "-1", text: TEXT.cartHeading }),
        h("p", { text: TEXT.emptyCart }),
        h("div", { class: "actions" }, h("button", { type: "button", class: "btn", onclick: () => go("browsing") }, TEXT.keepShopping)),
      ];
    }
    return [
      h("h1", { tabindex: "-1", text: TEXT.cartHeading }),
      cartTable(),
      h("div", { class: "actions" },
        h("button", { type: "button", class: "btn", onclick: () => go("browsing") }, TEXT.keepShopping),
        h("button", { type: "button", class: "btn btn-primary", "data-go": "payment", onclick: () => go("payment") }, TEXT.toPayment)),
    ];
  }

  function paymentView() {
    const ageRestricted = lines().some((l) => l.product.ageRestricted);
    const method = (value, label) => h("label", { class: "method" },
      h("input", {
        type: "radio", name: "method", value, checked: state.method === value,
        onchange: () => { state.method = value; save(); },
      }), label);
    return [
      h("h1", { tabindex: "-1", text: TEXT.paymentHeading }),
      cartTable(),
      ageRestricted ? h("p", { class: "notice", text: TEXT.ageNote }) : null,
      h("fieldset", { class: "methods" }, h("legend", { text: TEXT.payMethod }),
        method("card", TEXT.card), method("swish", TEXT.swish)),
      h("div", { class: "actions" },
        h("button", { type: "button", class: "btn", onclick: () => go("cart") }, TEXT.backToCart),
        h("button", {
          type: "button", class: "btn btn-primary", "data-go": "after_payment",
          onclick: () => { reportPurchase(); go("after_payment"); },
        }, fill(TEXT.pay, { total: money.format(total()) }))),
    ];
  }

  /**
   * Tell Helpwire about the purchase, joined to the widget's session id, for the KPI report
   * (cases per 100 purchases, conversion with and without support; docs/protocol.md). A real
   * shop posts from its back end with its own key; this demo page has no back end, so it uses
   * the key a server started with --demo hands out (none otherwise: then nothing is sent).
   */
  function reportPurchase() {
    const body = {
      order_id: "demo-order-" + Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 8),
      session_id: sessionStorage.getItem("helpwire:session") || null,
      store: (window.HelpwireConfig && window.HelpwireConfig.store) || "demo-shop",
      amount: total(),
      currency: "SEK",
    };
    fetch("/api/demo/ingest-key", { cache: "no-store" })
      .then((response) => (response.ok ? response.json() : { key: null }))
      .then(({ key }) => key && fetch("/api/purchases", {
        method: "POST",
        headers: { "Content-Type": "application/json", Authorization: "Bearer " + key },
        body: JSON.stringify(body),
      }))
      .catch(() => { /* the report misses one purchase; the customer is not bothered */ });
  }

  function doneView() {
    return [
      h("h1", { tabindex: "-1", text: TEXT.doneHeading }),
      h("p", { text: TEXT.receipt }),
      h("div", { class: "actions" }, h("button", {
        type: "button", class: "btn btn-primary",
        onclick: () => { state.cart = {}; go("browsing"); },
      }, TEXT.shopAgain)),
    ];
  }

  function render() {
    renderChrome();
    const views = { browsing: browsingView, cart: cartView, payment: paymentView, after_payment: doneView };
    document.getElementById("view").replaceChildren(...views[state.step]().filter(Boolean));
  }

  const live = h("p", { class: "sr-only", role: "status" });
  function announce(text) {
    live.textContent = text;
  }

  document.getElementById("login").addEventListener("click", () => {
    state.loggedIn = !state.loggedIn;
    save();
    renderChrome();
    if (window.Helpwire) window.Helpwire.update(); // "logged-in customers only" may now apply
  });
  document.getElementById("main").append(live);
  render();
})();
