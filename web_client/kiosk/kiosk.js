/*
 * A self-checkout screen: scanned items, the total and a pay button, all large for touch.
 * /kiosk?store=…&kiosk=… names the store and this kiosk (its id goes with every Help case).
 * Scanning is simulated with a button. The state survives a reload (sessionStorage).
 */
(function () {
  "use strict";

  const params = new URLSearchParams(location.search);
  const language = params.get("lang") === "en" ? "en" : "sv";
  const store = (params.get("store") || "demo-store").slice(0, 64);
  const kioskId = (params.get("kiosk") || "kiosk-1").slice(0, 64);
  const money = new Intl.NumberFormat(language === "en" ? "en-SE" : "sv-SE", { style: "currency", currency: "SEK" });

  // the demo scanner goes through these in turn
  const CATALOGUE = [
    { sku: "mjolk-1l", price: 17.9, sv: "Mellanmjölk 1 l", en: "Milk 1 l" },
    { sku: "brod-rag", price: 32.5, sv: "Rågbröd", en: "Rye bread" },
    { sku: "starkol-50", price: 28.5, sv: "Starköl 7,5 % 50 cl", en: "Strong beer 7.5% 50 cl", ageRestricted: true },
    { sku: "ost-hushall", price: 64.9, sv: "Hushållsost 500 g", en: "Cheese 500 g" },
    { sku: "applen-1kg", price: 29.9, sv: "Äpplen 1 kg", en: "Apples 1 kg" },
  ];

  const TEXT = {
    sv: {
      title: "Självscanning – Helpwire kiosk", brand: "Självscanning", languages: "Språk",
      kiosk: "Kassa {id}", itemsHeading: "Skannade varor",
      hint: "Skanna dina varor. Tryck Hjälp om något strular.", payHeading: "Att betala",
      empty: "Inga varor ännu.", scan: "Skanna vara (demo)", pay: "Betala {total}",
      paying: "Följ instruktionerna på kortterminalen.", paid: "Betalningen är klar",
      done: "Tack! Ditt kvitto ligger i mobilen.", newPurchase: "Nytt köp", cancel: "Avbryt köpet",
      age: "18+ (legitimation krävs)", remove: "Ta bort {name}",
      unlocked: "18+ upplåst ✓",
    },
    en: {
      title: "Self-checkout – Helpwire kiosk", brand: "Self-checkout", languages: "Language",
      kiosk: "Till {id}", itemsHeading: "Scanned items",
      hint: "Scan your items. Press Help if anything goes wrong.", payHeading: "To pay",
      empty: "No items yet.", scan: "Scan item (demo)", pay: "Pay {total}",
      paying: "Follow the instructions on the card terminal.", paid: "Payment done",
      done: "Thank you! Your receipt is in your phone.", newPurchase: "New purchase", cancel: "Cancel purchase",
      age: "18+ (ID required)", remove: "Remove {name}",
      unlocked: "18+ unlocked ✓",
    },
  }[language];
  const fill = (text, values) => text.replace(/\{(\w+)\}/g, (_, key) => values[key]);

  const storageKey = `kiosk:${store}:${kioskId}`;
  const saved = JSON.parse(sessionStorage.getItem(storageKey) || "null") || {};
  const state = {
    items: saved.items || [], step: saved.step || "browsing", next: saved.next || 0,
    unlocked: saved.unlocked || [], // skus unlocked by a video age check (item_unlocked)
  };
  const save = () => sessionStorage.setItem(storageKey, JSON.stringify(state));
  const total = () => state.items.reduce((sum, item) => sum + Math.round(item.price * 100), 0) / 100;

  /** Grouped lines for the Help context: what support sees of this basket. */
  function cartLines() {
    const bySku = new Map();
    for (const item of state.items) {
      const line = bySku.get(item.sku) || {
        sku: item.sku, name: item[language], quantity: 0, unit_price: item.price,
        age_restricted: Boolean(item.ageRestricted),
      };
      line.quantity += 1;
      bySku.set(item.sku, line);
    }
    return Array.from(bySku.values());
  }

  window.Kiosk = {
    store, kioskId, language,
    helpContext: () => ({
      payment_step: state.step,
      position: "checkout",
      device: "kiosk",
      cart: { currency: "SEK", lines: cartLines() },
    }),
  };

  function h(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "class") node.className = value;
      else if (name === "text") node.textContent = value;
      else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
      else node.setAttribute(name, value === true ? "" : value);
    }
    for (const child of children) if (child !== null && child !== undefined) node.append(child);
    return node;
  }

  function set(step) {
    state.step = step;
    // an age check unlocks for this purchase only: the next customer at this kiosk starts locked
    if (!state.items.length) state.unlocked = [];
    save();
    render();
  }

  function scan() {
    state.items.push(CATALOGUE[state.next % CATALOGUE.length]);
    state.next += 1;
    set("cart");
  }

  function render() {
    document.documentElement.lang = language;
    document.title = TEXT.title;
    for (const node of document.querySelectorAll("[data-text]")) node.textContent = TEXT[node.dataset.text];
    document.querySelector("[data-aria=languages]").setAttribute("aria-label", TEXT.languages);
    document.getElementById("kiosk-id").textContent = fill(TEXT.kiosk, { id: kioskId });
    for (const link of document.querySelectorAll("[data-lang]")) {
      const query = new URLSearchParams({ store, kiosk: kioskId, lang: link.dataset.lang });
      link.href = `?${query}`;
      if (link.dataset.lang === language) link.setAttribute("aria-current", "true");
    }

    const list = document.getElementById("scanned");
    list.replaceChildren(...state.items.map((item, index) => h("li", { class: "scanned-item" },
      h("span", { class: "item-name" }, item[language],
        item.ageRestricted ? (state.unlocked.includes(item.sku)
          ? h("span", { class: "age age-unlocked", "data-unlocked": item.sku, text: TEXT.unlocked })
          : h("span", { class: "age", text: TEXT.age })) : null),
      h("span", { class: "item-price", text: money.format(item.price) }),
      state.step === "cart" ? h("button", {
        type: "button", class: "kbtn kbtn-small", "aria-label": fill(TEXT.remove, { name: item[language] }),
        onclick: () => { state.items.splice(index, 1); set(state.items.length ? "cart" : "browsing"); },
      }, "✕") : null)));
    if (!state.items.length) list.append(h("li", { class: "scanned-empty", text: TEXT.empty }));

    document.getElementById("total").textContent = money.format(total());
    const status = document.getElementById("status");
    const actions = document.getElementById("actions");
    const buttons = [];
    status.textContent = "";
    if (state.step === "browsing" || state.step === "cart") {
      buttons.push(h("button", { type: "button", class: "kbtn", "data-action": "scan", onclick: scan }, TEXT.scan));
      if (state.items.length) {
        buttons.push(h("button", {
          type: "button", class: "kbtn kbtn-pay", "data-action": "pay", onclick: () => set("payment"),
        }, fill(TEXT.pay, { total: money.format(total()) })));
      }
    } else if (state.step === "payment") {
      status.textContent = TEXT.paying;
      buttons.push(h("button", { type: "button", class: "kbtn kbtn-pay", onclick: () => set("after_payment") }, TEXT.paid));
      buttons.push(h("button", { type: "button", class: "kbtn", onclick: () => set("cart") }, TEXT.cancel));
    } else {
      status.textContent = TEXT.done;
      buttons.push(h("button", {
        type: "button", class: "kbtn kbtn-pay",
        onclick: () => { state.items = []; set("browsing"); },
      }, TEXT.newPurchase));
    }
    actions.replaceChildren(...buttons);
  }

  // an approved video age check (helpwire-consent.js) unlocks the item on this screen
  window.addEventListener("helpwire:item_unlocked", (event) => {
    if (!state.unlocked.includes(event.detail.sku)) state.unlocked.push(event.detail.sku);
    save();
    render();
  });

  render();
})();
