// The agent console's texts, Swedish (default) and English, in one catalogue.
//
// A value is a string with {placeholders} or a function of the arguments. An argument may itself
// be translatable: {$t: "key", args} is looked up in the current language, {$l: {sv, en}} picks
// the current language's variant of a server-provided title.

const duration = (seconds) => {
  const s = Math.max(0, Math.floor(Number(seconds) || 0));
  if (s < 60) return `${s} s`;
  return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, "0")} s`;
};

export const catalogue = {
  sv: {
    "document.title": "Helpwire – agentkonsol",
    "skip": "Hoppa till innehållet",
    "app.subtitle": "agentkonsol",
    "language.toggle": "English",
    "language.toggleLabel": "Byt språk till",
    "header.signedInAs": "Inloggad som {name}",
    "logout": "Logga ut",

    "connection.connecting": "Ansluter…",
    "connection.connected": "Ansluten",
    "connection.reconnecting": "Anslutningen bröts – återansluter…",
    "connection.offline": "Kan inte nå servern – försöker igen…",
    "connection.error": "Anslutningsfel: {message}",

    "login.title": "Logga in som agent",
    "login.intro": "Svara kunder som trycker på Hjälp – inom 60 sekunder.",
    "login.username": "Användarnamn",
    "login.password": "Lösenord",
    "login.submit": "Logga in",
    "login.busy": "Loggar in…",
    "login.missing": "Fyll i användarnamn och lösenord.",
    "login.invalid": "Fel användarnamn eller lösenord.",
    "login.failed": "Inloggningen misslyckades: {message}",
    "login.network": "Servern svarar inte. Kontrollera anslutningen och försök igen.",
    "login.expired": "Din inloggning har gått ut. Logga in igen.",
    "login.invalidToken": "Din inloggning är inte längre giltig. Logga in igen.",
    "login.loggedOut": "Du är utloggad.",

    "console.title": "Agentkonsol",
    "presence.title": "Min status",
    "presence.legend": "Välj status",
    "presence.available": "Tillgänglig",
    "presence.busy": "Upptagen",
    "presence.away": "Borta",
    "presence.unknown": "okänd",
    "presence.current": "Du är: {presence}",
    "presence.hint.available": "Du får nya ärenden.",
    "presence.hint.busy": "Du behåller dina ärenden men får inga nya.",
    "presence.hint.away": "Du får inga nya ärenden.",
    "presence.reason.missed_offer": "Du sattes som Borta eftersom ett erbjudande gick ut obesvarat. Välj Tillgänglig när du är tillbaka.",
    "presence.failed": "Kunde inte byta status: {message}",

    "offers.title": "Inkommande ärenden",
    "offers.empty": "Inga erbjudanden just nu.",
    "offers.notes": "Senaste händelser",
    "offer.title": "Nytt ärende – {queue}",
    "offer.expiresIn": "Svara inom {seconds} s",
    "offer.expiring": "Tiden går ut…",
    "offer.accept": "Acceptera",
    "offer.decline": "Avböj",
    "offer.acceptLabel": "Acceptera ärendet från {store}",
    "offer.declineLabel": "Avböj ärendet från {store}",
    "offer.announce": "Nytt ärende: {queue}, butik {store}, varukorg {total}. Svara inom {seconds} sekunder.",
    "offer.withdrawn": "Erbjudandet från {store} drogs tillbaka: {reason}.",
    "offer.failed": "Kunde inte acceptera: {message}",
    "withdrawn.timeout": "tiden gick ut",
    "withdrawn.declined": "du avböjde",
    "withdrawn.customer_left": "kunden lämnade",
    "withdrawn.agent_left": "din anslutning bröts",
    "withdrawn.presence_changed": "du bytte status",
    "withdrawn.callback_requested": "kunden valde att bli uppringd",
    "withdrawn.unknown": "okänd orsak",

    "field.queue": "Kö",
    "field.store": "Butik",
    "field.language": "Språk",
    "field.payment_step": "Betalsteg",
    "field.cart_total": "Varukorg",
    "field.waited": "Väntat",
    "field.channel": "Kanal",
    "field.position": "Position",
    "field.first_channel": "Första kanal",
    "field.kiosk_id": "Kiosk-id",
    "field.device": "Enhet",
    "field.network": "Nätverk",
    "field.battery": "Batteri",
    "field.offline_mode": "Offlineläge",
    "field.rule": "Regel / kö",
    "field.logged_in": "Inloggad kund",
    "field.page": "Sida",
    "field.customer": "Kunden",

    "value": "{v}",
    "value.none": "–",
    "value.yes": "Ja",
    "value.no": "Nej",
    "value.unknownBattery": "okänt",
    "value.battery": "{percent} %",
    "value.rule": "{rule} → {queue}",
    "value.noRule": "standard → {queue}",
    "duration": ({ seconds }) => duration(seconds),

    "payment_step.browsing": "Handlar",
    "payment_step.cart": "Varukorg",
    "payment_step.payment": "Betalning",
    "payment_step.after_payment": "Efter betalning",
    "position.entry": "Entré",
    "position.checkout": "Kassa",
    "position.shelf": "Hylla",
    "channel.app": "App",
    "channel.web": "Webb",
    "channel.kiosk": "Kioskskärm",
    "first_channel.chat": "Chatt",
    "first_channel.voice": "Röst",
    "first_channel.video": "Video",
    "device.mobile": "Mobil",
    "device.tablet": "Surfplatta",
    "device.desktop": "Dator",
    "device.kiosk": "Kiosk",
    "device.unknown": "Okänd",
    "network.wifi": "Wifi",
    "network.4g": "4G",
    "network.5g": "5G",
    "network.ethernet": "Ethernet",
    "network.offline": "Offline",
    "network.unknown": "Okänt",
    "lang.sv": "Svenska",
    "lang.en": "Engelska",
    "state.queued": "I kö",
    "state.offered": "Erbjuds",
    "state.created": "Ny",

    "queues.title": "Köer",
    "queues.empty": "Inga köer.",
    "queue.waiting": "Väntar",
    "queue.longest": "Längst väntan",
    "queue.serving": "Agenter i tjänst",
    "queue.listLabel": "Väntande kunder i {queue}",
    "queue.nobody": "Ingen väntar.",
    "queue.waited": "väntat {time}",

    "cases.title": "Mina ärenden",
    "cases.empty": "Inga öppna ärenden. Välj Tillgänglig för att ta emot kunder.",
    "cases.tablist": "Öppna ärenden",
    "case.tabTitle": "{store} · {queue}",
    "case.tabState.wrap_up": "efterarbete",
    "case.tabState.closed": "stängt",
    "case.tabState.lost": "tillbaka i kön",
    "case.unread": "{count} nya",
    "case.title": "Ärende i {store} – {queue}",
    "case.state.active": "Pågår",
    "case.state.wrap_up": "Samtalet är avslutat – sätt etikett och stäng ärendet.",
    "case.state.closed": "Stängt",
    "case.state.lost": "Ärendet gick tillbaka till kön medan du var frånkopplad.",
    "case.assigned": "Ärende från {store} öppnat i en ny flik.",
    "case.newMessage": "Nytt meddelande från kunden i {store}: {text}",

    "context.title": "Kundens situation",
    "cart.caption": "Varukorg",
    "cart.item": "Vara",
    "cart.quantity": "Antal",
    "cart.unitPrice": "À-pris",
    "cart.lineTotal": "Summa",
    "cart.total": "Totalt",
    "cart.empty": "Varukorgen är tom.",
    "cart.ageRestricted": "åldersgräns",

    "customer.connected": "Ansluten",
    "customer.disconnected": "Tappade anslutningen – väntar på att kunden kommer tillbaka",
    "customer.left": "Har lämnat",
    "customer.ended": "Avslutade samtalet",

    "chat.title": "Chatt",
    "chat.logLabel": "Meddelanden i ärendet",
    "chat.customer": "Kund",
    "chat.you": "Du",
    "chat.customerTyping": "Kunden skriver…",
    "chat.inputLabel": "Meddelande till kunden",
    "chat.send": "Skicka",
    "chat.disabled": "Chatten är stängd för det här ärendet.",
    "chat.failed": "Meddelandet kunde inte skickas: {message}",
    "quick.title": "Snabbsvar",
    "quick.languageNote": "(på kundens språk: {language})",
    "receipt.pending": "Skickas…",
    "receipt.sent": "Skickat",
    "receipt.delivered": "Levererat",
    "receipt.failed": "Kunde inte skickas",

    "system.customerDisconnected": "Kunden tappade anslutningen.",
    "system.customerReconnected": "Kunden är tillbaka.",
    "system.customerLeft": "Kunden har lämnat och kommer inte tillbaka.",
    "system.customerEnded": "Kunden avslutade samtalet.",
    "system.agentEnded": "Du avslutade samtalet. Kunden har fått en fråga om betyg.",
    "system.feedback": "Kunden gav betyget {rating} av 5.",
    "system.closed": "Ärendet är stängt.",

    "case.end": "Avsluta samtal",
    "case.endFailed": "Kunde inte avsluta: {message}",
    "wrapup.title": "Avslut",
    "wrapup.label": "Etikett",
    "wrapup.chooseLabel": "Välj etikett…",
    "wrapup.resolved": "Löste ni ärendet?",
    "wrapup.yes": "Ja",
    "wrapup.no": "Nej",
    "wrapup.submit": "Stäng ärende",
    "wrapup.needLabel": "Välj en etikett.",
    "wrapup.needResolved": "Välj om ärendet blev löst.",
    "wrapup.failed": "Kunde inte stänga: {message}",
    "rating.none": "Kundens betyg: inget ännu",
    "rating.value": "Kundens betyg: {rating} av 5",
    "case.closedNote": "Ärendet är stängt.",
    "case.closeTab": "Stäng fliken",
    "label.betalningsfråga": "betalningsfråga",
    "label.produkt saknas": "produkt saknas",
    "label.tekniskt fel": "tekniskt fel",

    "error.offline": "ingen anslutning till servern",
    "error.timeout": "servern svarade inte i tid",
    "error.offer_not_found": "erbjudandet finns inte längre",
    "error.not_your_case": "ärendet är inte ditt",
    "error.invalid_transition": "ärendet är inte längre i rätt läge",
    "error.unknown_label": "okänd etikett",
  },

  en: {
    "document.title": "Helpwire – agent console",
    "skip": "Skip to content",
    "app.subtitle": "agent console",
    "language.toggle": "Svenska",
    "language.toggleLabel": "Switch language to",
    "header.signedInAs": "Signed in as {name}",
    "logout": "Sign out",

    "connection.connecting": "Connecting…",
    "connection.connected": "Connected",
    "connection.reconnecting": "Connection lost – reconnecting…",
    "connection.offline": "Cannot reach the server – retrying…",
    "connection.error": "Connection error: {message}",

    "login.title": "Sign in as an agent",
    "login.intro": "Answer customers who press Help – within 60 seconds.",
    "login.username": "Username",
    "login.password": "Password",
    "login.submit": "Sign in",
    "login.busy": "Signing in…",
    "login.missing": "Enter your username and password.",
    "login.invalid": "Wrong username or password.",
    "login.failed": "Sign-in failed: {message}",
    "login.network": "The server does not answer. Check the connection and try again.",
    "login.expired": "Your sign-in has expired. Please sign in again.",
    "login.invalidToken": "Your sign-in is no longer valid. Please sign in again.",
    "login.loggedOut": "You are signed out.",

    "console.title": "Agent console",
    "presence.title": "My status",
    "presence.legend": "Choose status",
    "presence.available": "Available",
    "presence.busy": "Busy",
    "presence.away": "Away",
    "presence.unknown": "unknown",
    "presence.current": "You are: {presence}",
    "presence.hint.available": "You receive new cases.",
    "presence.hint.busy": "You keep your cases but get no new ones.",
    "presence.hint.away": "You receive no new cases.",
    "presence.reason.missed_offer": "You were set to Away because an offer expired unanswered. Choose Available when you are back.",
    "presence.failed": "Could not change status: {message}",

    "offers.title": "Incoming cases",
    "offers.empty": "No offers right now.",
    "offers.notes": "Recent events",
    "offer.title": "New case – {queue}",
    "offer.expiresIn": "Answer within {seconds} s",
    "offer.expiring": "Time is running out…",
    "offer.accept": "Accept",
    "offer.decline": "Decline",
    "offer.acceptLabel": "Accept the case from {store}",
    "offer.declineLabel": "Decline the case from {store}",
    "offer.announce": "New case: {queue}, store {store}, cart {total}. Answer within {seconds} seconds.",
    "offer.withdrawn": "The offer from {store} was withdrawn: {reason}.",
    "offer.failed": "Could not accept: {message}",
    "withdrawn.timeout": "time ran out",
    "withdrawn.declined": "you declined",
    "withdrawn.customer_left": "the customer left",
    "withdrawn.agent_left": "your connection was lost",
    "withdrawn.presence_changed": "you changed status",
    "withdrawn.callback_requested": "the customer asked to be called back",
    "withdrawn.unknown": "unknown reason",

    "field.queue": "Queue",
    "field.store": "Store",
    "field.language": "Language",
    "field.payment_step": "Payment step",
    "field.cart_total": "Cart",
    "field.waited": "Waited",
    "field.channel": "Channel",
    "field.position": "Position",
    "field.first_channel": "First channel",
    "field.kiosk_id": "Kiosk id",
    "field.device": "Device",
    "field.network": "Network",
    "field.battery": "Battery",
    "field.offline_mode": "Offline mode",
    "field.rule": "Rule / queue",
    "field.logged_in": "Signed-in customer",
    "field.page": "Page",
    "field.customer": "Customer",

    "value": "{v}",
    "value.none": "–",
    "value.yes": "Yes",
    "value.no": "No",
    "value.unknownBattery": "unknown",
    "value.battery": "{percent} %",
    "value.rule": "{rule} → {queue}",
    "value.noRule": "default → {queue}",
    "duration": ({ seconds }) => duration(seconds),

    "payment_step.browsing": "Browsing",
    "payment_step.cart": "Cart",
    "payment_step.payment": "Payment",
    "payment_step.after_payment": "After payment",
    "position.entry": "Entrance",
    "position.checkout": "Checkout",
    "position.shelf": "Shelf",
    "channel.app": "App",
    "channel.web": "Web",
    "channel.kiosk": "Kiosk screen",
    "first_channel.chat": "Chat",
    "first_channel.voice": "Voice",
    "first_channel.video": "Video",
    "device.mobile": "Mobile",
    "device.tablet": "Tablet",
    "device.desktop": "Desktop",
    "device.kiosk": "Kiosk",
    "device.unknown": "Unknown",
    "network.wifi": "Wi-Fi",
    "network.4g": "4G",
    "network.5g": "5G",
    "network.ethernet": "Ethernet",
    "network.offline": "Offline",
    "network.unknown": "Unknown",
    "lang.sv": "Swedish",
    "lang.en": "English",
    "state.queued": "Queued",
    "state.offered": "Being offered",
    "state.created": "New",

    "queues.title": "Queues",
    "queues.empty": "No queues.",
    "queue.waiting": "Waiting",
    "queue.longest": "Longest wait",
    "queue.serving": "Agents serving",
    "queue.listLabel": "Customers waiting in {queue}",
    "queue.nobody": "Nobody is waiting.",
    "queue.waited": "waited {time}",

    "cases.title": "My cases",
    "cases.empty": "No open cases. Choose Available to receive customers.",
    "cases.tablist": "Open cases",
    "case.tabTitle": "{store} · {queue}",
    "case.tabState.wrap_up": "wrap-up",
    "case.tabState.closed": "closed",
    "case.tabState.lost": "back in queue",
    "case.unread": "{count} new",
    "case.title": "Case in {store} – {queue}",
    "case.state.active": "In progress",
    "case.state.wrap_up": "The conversation has ended – set a label and close the case.",
    "case.state.closed": "Closed",
    "case.state.lost": "The case went back to the queue while you were disconnected.",
    "case.assigned": "Case from {store} opened in a new tab.",
    "case.newMessage": "New message from the customer in {store}: {text}",

    "context.title": "Customer's situation",
    "cart.caption": "Cart",
    "cart.item": "Item",
    "cart.quantity": "Qty",
    "cart.unitPrice": "Unit price",
    "cart.lineTotal": "Amount",
    "cart.total": "Total",
    "cart.empty": "The cart is empty.",
    "cart.ageRestricted": "age-restricted",

    "customer.connected": "Connected",
    "customer.disconnected": "Connection lost – waiting for the customer to come back",
    "customer.left": "Has left",
    "customer.ended": "Ended the conversation",

    "chat.title": "Chat",
    "chat.logLabel": "Messages in this case",
    "chat.customer": "Customer",
    "chat.you": "You",
    "chat.customerTyping": "The customer is typing…",
    "chat.inputLabel": "Message to the customer",
    "chat.send": "Send",
    "chat.disabled": "The chat is closed for this case.",
    "chat.failed": "The message could not be sent: {message}",
    "quick.title": "Quick replies",
    "quick.languageNote": "(in the customer's language: {language})",
    "receipt.pending": "Sending…",
    "receipt.sent": "Sent",
    "receipt.delivered": "Delivered",
    "receipt.failed": "Not sent",

    "system.customerDisconnected": "The customer lost the connection.",
    "system.customerReconnected": "The customer is back.",
    "system.customerLeft": "The customer has left and will not come back.",
    "system.customerEnded": "The customer ended the conversation.",
    "system.agentEnded": "You ended the conversation. The customer has been asked for a rating.",
    "system.feedback": "The customer rated {rating} out of 5.",
    "system.closed": "The case is closed.",

    "case.end": "End conversation",
    "case.endFailed": "Could not end: {message}",
    "wrapup.title": "Wrap-up",
    "wrapup.label": "Label",
    "wrapup.chooseLabel": "Choose a label…",
    "wrapup.resolved": "Was the issue resolved?",
    "wrapup.yes": "Yes",
    "wrapup.no": "No",
    "wrapup.submit": "Close case",
    "wrapup.needLabel": "Choose a label.",
    "wrapup.needResolved": "Choose whether the issue was resolved.",
    "wrapup.failed": "Could not close: {message}",
    "rating.none": "Customer rating: none yet",
    "rating.value": "Customer rating: {rating} out of 5",
    "case.closedNote": "The case is closed.",
    "case.closeTab": "Close tab",
    "label.betalningsfråga": "payment question",
    "label.produkt saknas": "product missing",
    "label.tekniskt fel": "technical fault",

    "error.offline": "no connection to the server",
    "error.timeout": "the server did not answer in time",
    "error.offer_not_found": "the offer no longer exists",
    "error.not_your_case": "the case is not yours",
    "error.invalid_transition": "the case is no longer in the right state",
    "error.unknown_label": "unknown label",
  },
};

export const LANGUAGES = Object.keys(catalogue);
let current = "sv";

export function getLanguage() {
  return current;
}

export function setLanguage(language) {
  current = LANGUAGES.includes(language) ? language : "sv";
  return current;
}

export function has(key) {
  return key in catalogue[current] || key in catalogue.sv;
}

function resolve(value) {
  if (value && typeof value === "object") {
    if ("$t" in value) return t(value.$t, value.args);
    if ("$l" in value) return value.$l[current] ?? value.$l.sv ?? "";
  }
  return value;
}

/** The text of `key` in the current language, with {placeholders} filled from `args`. */
export function t(key, args) {
  const template = catalogue[current][key] ?? catalogue.sv[key];
  if (template === undefined) return key;
  const values = {};
  for (const [name, value] of Object.entries(args ?? {})) values[name] = resolve(value);
  if (typeof template === "function") return template(values);
  return template.replace(/\{(\w+)\}/g, (match, name) => (name in values ? String(values[name]) : match));
}

const money = new Map();

/** Amounts are shown as the shop writes them, sv-SE: 142.5 → "142,50 kr". */
export function formatMoney(amount, currency = "SEK") {
  const code = /^[A-Z]{3}$/.test(currency ?? "") ? currency : "SEK";
  if (!money.has(code)) {
    money.set(code, new Intl.NumberFormat("sv-SE", { style: "currency", currency: code }));
  }
  return money.get(code).format(Number(amount) || 0);
}

/** A clock time (epoch seconds) as HH:MM in the current language. */
export function formatClock(epochSeconds) {
  const locale = current === "en" ? "en-GB" : "sv-SE";
  return new Intl.DateTimeFormat(locale, { hour: "2-digit", minute: "2-digit" }).format(
    new Date(epochSeconds * 1000),
  );
}
