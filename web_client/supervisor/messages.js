// The supervisor view's texts, Swedish (default) and English, in one catalogue (the same shape
// as web_client/agent/messages.js). A value is a string with {placeholders} or a function of the
// arguments.

export const catalogue = {
  sv: {
    "document.title": "Helpwire – översikt",
    "app.title": "Helpwire översikt",
    "language.toggle": "English",
    "language.toggleLabel": "Byt språk till",

    "status.signedOut": "Utloggad",
    "status.connecting": "Ansluter…",
    "status.live": "Live, uppdaterad {time}",
    "status.reconnecting": "Anslutningen bröts – återansluter…",

    "login.title": "Logga in",
    "login.username": "Användarnamn",
    "login.password": "Lösenord",
    "login.submit": "Logga in",
    "login.invalid": "Fel användarnamn eller lösenord.",
    "login.forbidden": "Översiktsvyn kräver rollen supervisor (python -m server create-agent NAMN --role supervisor).",
    "login.invalidToken": "Din inloggning är inte längre giltig. Logga in igen.",
    "login.expired": "Din inloggning har gått ut. Logga in igen.",
    "login.failed": "Inloggningen misslyckades: {message}",
    "login.network": "Servern svarar inte. Kontrollera anslutningen och försök igen.",

    "alerts.title": "Larm",
    "alerts.none": "Inga larm: alla väntande får svar inom löftet.",
    "alert.over_promise": "Ärende #{number} i {queue} har väntat {wait}, längre än löftet på {promise}.",
    "alert.no_agent": "{queue}: {waiting} väntar och ingen tillgänglig agent kan ta ärendet.",
    "notify.enable": "Visa larm som skrivbordsnotiser",
    "notify.explain": "Du får en notis när en väntan passerar löftet eller en kö saknar agent, även när fliken ligger i bakgrunden.",
    "notify.on": "Skrivbordsnotiser är på.",
    "notify.denied": "Webbläsaren tillåter inte notiser för den här sidan.",
    "notify.unsupported": "Webbläsaren kan inte visa notiser.",
    "notify.title": "Helpwire: larm",

    "now.title": "Just nu",
    "now.waiting": "Väntar",
    "now.longest": "Längsta väntan",
    "now.promise": "Löfte",
    "queues.caption": "Köer",
    "queues.queue": "Kö",
    "queues.waiting": "Väntar",
    "queues.longest": "Längsta väntan",
    "queues.ready": "Tillgängliga agenter",
    "queues.serving": "Agenter på plats",
    "queues.legend": "Rött: ingen agent kan ta ett nytt ärende i kön just nu.",

    "cases.title": "Pågående ärenden",
    "cases.filterQueue": "Kö",
    "cases.filterState": "Status",
    "cases.filterOver": "Bara väntan över löftet",
    "cases.all": "Alla",
    "cases.caption": "{shown} av {total} ärenden",
    "cases.number": "Ärende",
    "cases.queue": "Kö",
    "cases.state": "Status",
    "cases.store": "Butik",
    "cases.channel": "Kanal",
    "cases.wait": "Väntan",
    "cases.agent": "Agent",
    "cases.empty": "Inga ärenden matchar filtret.",
    "cases.overPromise": "över löftet",
    "cases.open": "Visa tidslinje för ärende {number}",

    "state.created": "Skapat",
    "state.queued": "I kö",
    "state.offered": "Erbjudet",
    "state.active": "Pågår",
    "state.wrap_up": "Efterarbete",
    "state.closed": "Avslutat",
    "state.abandoned": "Avbrutet",
    "state.callback_requested": "Återuppringning",

    "channel.chat": "chatt",
    "channel.voice": "röst",
    "channel.video": "video",
    "channel.web": "webb",
    "channel.app": "app",
    "channel.kiosk": "kiosk",

    "timeline.title": "Tidslinje",
    "timeline.heading": "Ärende {number}",
    "timeline.hint": "Välj ett ärende i listan för att se dess tidslinje.",
    "timeline.loading": "Hämtar…",
    "timeline.failed": "Kunde inte hämta tidslinjen: {message}",
    "timeline.close": "Stäng tidslinjen",
    "timeline.outcome": "Utfall",
    "timeline.store": "Butik",
    "timeline.opened": "Öppnat",
    "timeline.agent": "Agent",
    "timeline.label": "Etikett",
    "timeline.resolved": "Löst",
    "timeline.rating": "Betyg",
    "timeline.yes": "ja",
    "timeline.no": "nej",
    "timeline.none": "–",
    "timeline.privacy": "Bara händelser, kanalbyten, samtycken och utfall. Aldrig media, och chatttext bara om transkript sparas.",
    "timeline.transcript": "Transkript",

    "ev.opened": "Öppnat i {queue} via {channel}",
    "ev.queued": "I kö i {queue}",
    "ev.queued.agent_lost": "Tillbaka först i kön: agenten tappade anslutningen",
    "ev.offered": "Erbjudet en agent",
    "ev.answered": "Besvarat av {agent}",
    "ev.wrap_up": "Efterarbete",
    "ev.closed": "Avslutat{label}",
    "ev.closed.system": "Avslutat av systemet ({reason})",
    "ev.abandoned": "Kunden lämnade före svar",
    "ev.callback_requested": "Återuppringning begärd",
    "ev.overflow": "Flyttat från {from} till {to}",
    "ev.callback_offered": "Återuppringning erbjuden (löftet i fara)",
    "ev.chat_line.customer": "Meddelande från kunden",
    "ev.chat_line.agent": "Meddelande från agenten",
    "ev.chat_line.system": "Systemmeddelande",
    "ev.customer_ended": "Kunden avslutade chatten",
    "ev.customer_dropped": "Kunden kom inte tillbaka",
    "ev.feedback": "Betyg {rating} av 5",
    "ev.channel": "Kanal: {from} → {to}",
    "ev.media_proposed": "{channel} föreslogs",
    "ev.media_declined": "{channel} avböjdes",
    "ev.media_connected": "{channel} ansluten",
    "ev.media_failed": "{channel} misslyckades",
    "ev.mark": "Markerat: {mark}",
    "ev.consent": "Samtycke ({scope}): {event}",
    "ev.age_check": "Ålderskontroll {sku}: {outcome}",
    "ev.age_check.approved": "godkänd",
    "consent.screen_share": "skärmdelning",
    "consent.age_check_video": "ålderskontroll med video",
    "consent.requested": "begärt",
    "consent.granted": "givet",
    "consent.denied": "nekat",
    "consent.expired": "gick ut",
    "consent.revoked_by_customer": "återkallat av kunden",
    "consent.ended_by_agent": "avslutat av agenten",
    "consent.case_closed": "ärendet avslutades",
    "consent.connection_lost": "anslutningen bröts",
    "consent.no_answer": "inget svar",
    "ev.age_check.denied": "nekad",
    "ev.unknown": "{type}",
    "ev.resolved": "löst",
    "ev.unresolved": "ej löst",

    "agents.title": "Agenter",
    "agents.none": "Inga agenter inloggade",
    "agents.entry": "{name}: {presence} ({cases} ärenden)",
    "presence.available": "tillgänglig",
    "presence.busy": "upptagen",
    "presence.away": "borta",
    "presence.offline": "utloggad",

    "today.title": "Idag mot målen",
    "today.asa": "ASA",
    "today.fcr": "FCR",
    "today.abandonment": "Avbrutna",
    "today.csat": "CSAT",
    "today.cases": "Ärenden idag",
    "today.casesValue": "{answered} besvarade, {open} öppna",
    "today.target": "mål {target}",
    "today.met": "uppfyllt",
    "today.missed": "missat",
    "today.noData": "ingen data än",
    "report.title": "Veckorapport",
    "report.open": "Öppna veckorapporten {period}",
    "report.note": "Hela förra veckan, på svenska. Öppnas i en ny flik.",

    "access.title": "Åtkomstlogg",
    "access.intro": "Vem som öppnade, beslutade om, exporterade eller raderade vilket ärende (nyast först; docs/privacy.md).",
    "access.refresh": "Uppdatera",
    "access.caption": "De senaste 50 åtkomsterna",
    "access.when": "När",
    "access.who": "Vem",
    "access.what": "Vad",
    "access.case": "Ärende",
    "access.why": "Varför",
    "actor.agent": "agent",
    "actor.supervisor": "supervisor",
    "actor.operator": "operatör",
    "actor.system": "system",
    "action.case_opened": "öppnade ärendet",
    "action.supervisor_view_opened": "öppnade översikten",
    "action.case_timeline_viewed": "visade tidslinjen",
    "action.weekly_report_read": "läste veckorapporten",
    "action.access_log_read": "läste åtkomstloggen",
    "action.age_check_approved": "godkände ålderskontroll",
    "action.age_check_denied": "nekade ålderskontroll",
    "action.export": "exporterade",
    "action.erase": "raderade",
    "action.purge": "gallrade",
  },
  en: {
    "document.title": "Helpwire – supervisor",
    "app.title": "Helpwire supervisor",
    "language.toggle": "Svenska",
    "language.toggleLabel": "Switch language to",

    "status.signedOut": "Signed out",
    "status.connecting": "Connecting…",
    "status.live": "Live, updated {time}",
    "status.reconnecting": "Disconnected – reconnecting…",

    "login.title": "Sign in",
    "login.username": "Username",
    "login.password": "Password",
    "login.submit": "Sign in",
    "login.invalid": "Wrong username or password.",
    "login.forbidden": "The supervisor view needs the supervisor role (python -m server create-agent NAME --role supervisor).",
    "login.invalidToken": "Your sign-in is no longer valid. Sign in again.",
    "login.expired": "Your sign-in has expired. Sign in again.",
    "login.failed": "Sign-in failed: {message}",
    "login.network": "The server does not answer. Check the connection and try again.",

    "alerts.title": "Alerts",
    "alerts.none": "No alerts: everyone waiting is answered within the promise.",
    "alert.over_promise": "Case #{number} in {queue} has waited {wait}, longer than the promise of {promise}.",
    "alert.no_agent": "{queue}: {waiting} waiting and no available agent can take the case.",
    "notify.enable": "Show alerts as desktop notifications",
    "notify.explain": "You get a notification when a wait passes the promise or a queue has no agent, even with the tab in the background.",
    "notify.on": "Desktop notifications are on.",
    "notify.denied": "The browser does not allow notifications for this page.",
    "notify.unsupported": "The browser cannot show notifications.",
    "notify.title": "Helpwire: alert",

    "now.title": "Now",
    "now.waiting": "Waiting",
    "now.longest": "Longest wait",
    "now.promise": "Promise",
    "queues.caption": "Queues",
    "queues.queue": "Queue",
    "queues.waiting": "Waiting",
    "queues.longest": "Longest wait",
    "queues.ready": "Agents available",
    "queues.serving": "Agents on duty",
    "queues.legend": "Red: no agent can take a new case in the queue right now.",

    "cases.title": "Open cases",
    "cases.filterQueue": "Queue",
    "cases.filterState": "State",
    "cases.filterOver": "Only waits past the promise",
    "cases.all": "All",
    "cases.caption": "{shown} of {total} cases",
    "cases.number": "Case",
    "cases.queue": "Queue",
    "cases.state": "State",
    "cases.store": "Store",
    "cases.channel": "Channel",
    "cases.wait": "Wait",
    "cases.agent": "Agent",
    "cases.empty": "No case matches the filter.",
    "cases.overPromise": "past the promise",
    "cases.open": "Show the timeline of case {number}",

    "state.created": "Created",
    "state.queued": "Queued",
    "state.offered": "Offered",
    "state.active": "Active",
    "state.wrap_up": "Wrap-up",
    "state.closed": "Closed",
    "state.abandoned": "Abandoned",
    "state.callback_requested": "Callback",

    "channel.chat": "chat",
    "channel.voice": "voice",
    "channel.video": "video",
    "channel.web": "web",
    "channel.app": "app",
    "channel.kiosk": "kiosk",

    "timeline.title": "Timeline",
    "timeline.heading": "Case {number}",
    "timeline.hint": "Choose a case in the list to see its timeline.",
    "timeline.loading": "Loading…",
    "timeline.failed": "Could not load the timeline: {message}",
    "timeline.close": "Close the timeline",
    "timeline.outcome": "Outcome",
    "timeline.store": "Store",
    "timeline.opened": "Opened",
    "timeline.agent": "Agent",
    "timeline.label": "Label",
    "timeline.resolved": "Resolved",
    "timeline.rating": "Rating",
    "timeline.yes": "yes",
    "timeline.no": "no",
    "timeline.none": "–",
    "timeline.privacy": "Only events, channel changes, consents and the outcome. Never media, and chat text only if transcripts are kept.",
    "timeline.transcript": "Transcript",

    "ev.opened": "Opened in {queue} via {channel}",
    "ev.queued": "Queued in {queue}",
    "ev.queued.agent_lost": "Back at the front of the queue: the agent lost the connection",
    "ev.offered": "Offered to an agent",
    "ev.answered": "Answered by {agent}",
    "ev.wrap_up": "Wrap-up",
    "ev.closed": "Closed{label}",
    "ev.closed.system": "Closed by the system ({reason})",
    "ev.abandoned": "The customer left before an answer",
    "ev.callback_requested": "Callback requested",
    "ev.overflow": "Moved from {from} to {to}",
    "ev.callback_offered": "Callback offered (promise at risk)",
    "ev.chat_line.customer": "Message from the customer",
    "ev.chat_line.agent": "Message from the agent",
    "ev.chat_line.system": "System message",
    "ev.customer_ended": "The customer ended the chat",
    "ev.customer_dropped": "The customer did not come back",
    "ev.feedback": "Rating {rating} of 5",
    "ev.channel": "Channel: {from} → {to}",
    "ev.media_proposed": "{channel} proposed",
    "ev.media_declined": "{channel} declined",
    "ev.media_connected": "{channel} connected",
    "ev.media_failed": "{channel} failed",
    "ev.mark": "Marked: {mark}",
    "ev.consent": "Consent ({scope}): {event}",
    "ev.age_check": "Age check {sku}: {outcome}",
    "ev.age_check.approved": "approved",
    "consent.screen_share": "screen share",
    "consent.age_check_video": "video age check",
    "consent.requested": "requested",
    "consent.granted": "granted",
    "consent.denied": "denied",
    "consent.expired": "expired",
    "consent.revoked_by_customer": "revoked by the customer",
    "consent.ended_by_agent": "ended by the agent",
    "consent.case_closed": "the case was closed",
    "consent.connection_lost": "the connection was lost",
    "consent.no_answer": "no answer",
    "ev.age_check.denied": "denied",
    "ev.unknown": "{type}",
    "ev.resolved": "resolved",
    "ev.unresolved": "not resolved",

    "agents.title": "Agents",
    "agents.none": "No agents signed in",
    "agents.entry": "{name}: {presence} ({cases} cases)",
    "presence.available": "available",
    "presence.busy": "busy",
    "presence.away": "away",
    "presence.offline": "offline",

    "today.title": "Today against the targets",
    "today.asa": "ASA",
    "today.fcr": "FCR",
    "today.abandonment": "Abandoned",
    "today.csat": "CSAT",
    "today.cases": "Cases today",
    "today.casesValue": "{answered} answered, {open} open",
    "today.target": "target {target}",
    "today.met": "met",
    "today.missed": "missed",
    "today.noData": "no data yet",
    "report.title": "Weekly report",
    "report.open": "Open the weekly report {period}",
    "report.note": "The whole of last week, in English. Opens in a new tab.",

    "access.title": "Access log",
    "access.intro": "Who opened, decided on, exported or erased which case (newest first; docs/privacy.md).",
    "access.refresh": "Refresh",
    "access.caption": "Latest 50 accesses",
    "access.when": "When",
    "access.who": "Who",
    "access.what": "What",
    "access.case": "Case",
    "access.why": "Why",
    "actor.agent": "agent",
    "actor.supervisor": "supervisor",
    "actor.operator": "operator",
    "actor.system": "system",
    "action.case_opened": "opened the case",
    "action.supervisor_view_opened": "opened the supervisor view",
    "action.case_timeline_viewed": "viewed the timeline",
    "action.weekly_report_read": "read the weekly report",
    "action.access_log_read": "read the access log",
    "action.age_check_approved": "approved an age check",
    "action.age_check_denied": "denied an age check",
    "action.export": "exported",
    "action.erase": "erased",
    "action.purge": "purged",
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

/** The text of `key` in the current language, with {placeholders} filled from `args`. */
export function t(key, args) {
  const template = catalogue[current][key] ?? catalogue.sv[key];
  if (template === undefined) return key;
  if (typeof template === "function") return template(args ?? {});
  return template.replace(/\{(\w+)\}/g, (match, name) =>
    args && name in args ? String(args[name]) : match);
}

/** A duration in seconds as "45 s" or "2 min 05 s" (the same in both languages). */
export function formatDuration(seconds) {
  const s = Math.max(0, Math.floor(Number(seconds) || 0));
  if (s < 60) return `${s} s`;
  return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, "0")} s`;
}

/** A clock time (epoch seconds) as HH:MM:SS in the current language. */
export function formatTime(epochSeconds) {
  const locale = current === "en" ? "en-GB" : "sv-SE";
  return new Intl.DateTimeFormat(locale, { hour: "2-digit", minute: "2-digit", second: "2-digit" })
    .format(new Date(epochSeconds * 1000));
}

/** A date and time (epoch seconds) in the current language. */
export function formatDateTime(epochSeconds) {
  const locale = current === "en" ? "en-GB" : "sv-SE";
  return new Intl.DateTimeFormat(locale, { dateStyle: "short", timeStyle: "medium" })
    .format(new Date(epochSeconds * 1000));
}

/** A share as "12,5 %" (sv) or "12.5 %" (en). */
export function formatPercent(value) {
  const locale = current === "en" ? "en-GB" : "sv-SE";
  return `${new Intl.NumberFormat(locale, { maximumFractionDigits: 1 }).format(value * 100)} %`;
}

/** A number with the current language's decimal sign. */
export function formatNumber(value, digits = 2) {
  const locale = current === "en" ? "en-GB" : "sv-SE";
  return new Intl.NumberFormat(locale, { maximumFractionDigits: digits }).format(value);
}
