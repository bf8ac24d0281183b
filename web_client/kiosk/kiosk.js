/*
 * A self-checkout screen: scanned items, the total and a pay button, all large for touch.
 * /kiosk?store=…&kiosk=… names the store and this kiosk (its id goes with every Help case).
 * Scanning is simulated with a button. The state survives a reload (sessionStorage).
 * An 18+ item is locked until a video age check approves it: "Betala" does not go through while
 * one is locked, and "Verifiera ålder via video" opens a case routed as an age check
 * (Helpwire.verifyAge). An approval unlocks the item; a denial removes it from the purchase.
 */
import { h } from "/static/shared/dom.js";

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
      verifyAge: "Verifiera ålder via video",
      locked: "{name} kräver ålderskontroll (18+) innan du kan betala.",
      payBlocked: "Betalningen väntar: {name} är låst tills åldern är bekräftad. Tryck på ”Verifiera ålder via video”.",
      unlockedNotice: "Åldern är bekräftad – du kan betala.",
      removed: "{name} har tagits bort från köpet: åldern kunde inte bekräftas.",
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
      verifyAge: "Verify age by video",
      locked: "{name} needs an age check (18+) before you can pay.",
      payBlocked: "Payment is on hold: {name} is locked until your age is confirmed. Press “Verify age by video”.",
      unlockedNotice: "Your age is confirmed – you can pay.",
      removed: "{name} has been removed from your purchase: your age could not be confirmed.",
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
  // what the kiosk last told the customer (a payment on hold, a removed item); cleared by a scan
  let message = "";

  /** The 18+ items no age check has unlocked in this purchase, one per sku. */
  function lockedItems() {
    const seen = new Set();
    return state.items.filter((item) => item.ageRestricted && !state.unlocked.includes(item.sku)
      && !seen.has(item.sku) && seen.add(item.sku));
  }

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


  function set(step) {
    if (step === "payment" && lockedItems().length) return; // never past a locked item
    state.step = step;
    // an age check unlocks for this purchase only: the next customer at this kiosk starts locked
    if (!state.items.length) state.unlocked = [];
    save();
    render();
  }

  function scan() {
    message = "";
    state.items.push(CATALOGUE[state.next % CATALOGUE.length]);
    state.next += 1;
    set("cart");
  }

  /** "Betala": on hold while an 18+ item is locked, with the way forward. */
  function pay() {
    const locked = lockedItems();
    if (!locked.length) {
      message = "";
      set("payment");
      return;
    }
    message = fill(TEXT.payBlocked, { name: locked[0][language] });
    render();
    const verify = document.querySelector("[data-action=verify-age]");
    if (verify) verify.focus();
  }

  function verifyAge() {
    const [first] = lockedItems();
    if (first && window.Helpwire) window.Helpwire.verifyAge(first.sku);
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
        onclick: () => {
          message = "";
          state.items.splice(index, 1);
          set(state.items.length ? "cart" : "browsing");
        },
      }, "✕") : null)));
    if (!state.items.length) list.append(h("li", { class: "scanned-empty", text: TEXT.empty }));

    document.getElementById("total").textContent = money.format(total());
    const status = document.getElementById("status");
    const actions = document.getElementById("actions");
    const buttons = [];
    status.textContent = message;
    if (state.step === "browsing" || state.step === "cart") {
      const locked = lockedItems();
      if (!message && locked.length) status.textContent = fill(TEXT.locked, { name: locked[0][language] });
      buttons.push(h("button", { type: "button", class: "kbtn", "data-action": "scan", onclick: scan }, TEXT.scan));
      if (locked.length) {
        buttons.push(h("button", {
          type: "button", class: "kbtn kbtn-verify", "data-action": "verify-age", onclick: verifyAge,
        }, TEXT.verifyAge));
      }
      if (state.items.length) {
        buttons.push(h("button", {
          type: "button", class: locked.length ? "kbtn kbtn-pay kbtn-on-hold" : "kbtn kbtn-pay",
          "data-action": "pay", "aria-disabled": locked.length ? "true" : null, onclick: pay,
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

  // an approved video age check (the widget's consent chunk) unlocks the item on this screen
  window.addEventListener("helpwire:item_unlocked", (event) => {
    if (!state.unlocked.includes(event.detail.sku)) state.unlocked.push(event.detail.sku);
    message = lockedItems().length ? "" : TEXT.unlockedNotice;
    save();
    render();
  });

  // a denied age check: the item leaves this purchase, and the customer is told why
  window.addEventListener("helpwire:age_check_denied", (event) => {
    const removed = state.items.find((item) => item.sku === event.detail.sku);
    if (!removed) return;
    state.items = state.items.filter((item) => item.sku !== event.detail.sku);
    message = fill(TEXT.removed, { name: removed[language] });
    set(state.items.length ? "cart" : "browsing");
  });

  render();
})();
