/*
 * Helpwire widget: the one message catalogue (Swedish and English).
 *
 * The Swedish texts marked "seed" are the specification's microcopy, copied verbatim; change
 * them only together with the specification. {name} placeholders are filled by format().
 * Bundled into the widget's first load (the button's texts are needed before it is drawn).
 */
const sv = {
  // the button and the line under it (seed)
  buttonText: "Hjälp",
  buttonLabel: "Hjälp – svar inom {seconds} sek",
  promise: "Behöver du hjälp? Svar inom {seconds} sek.",
  // A/B test variant A: the small button without a promise (its name promises nothing either)
  buttonLabelPlain: "Hjälp – kontakta kundsupporten",
  // honest variants when nobody can keep the promise
  buttonLabelClosed: "Hjälp – supporten är stängd, be oss ringa upp dig",
  buttonLabelNoAgent: "Hjälp – ingen kan svara just nu, be oss ringa upp dig",
  closedLine: "Just nu är supporten stängd. Vi kan ringa upp dig.",
  closedOpensAt: "Just nu är supporten stängd. Vi öppnar {when}.",
  noAgentLine: "Ingen kan svara just nu. Vi kan ringa upp dig.",
  // the server does not allow this page's origin (cors_allowed_origins): no promise, no press into nothing
  buttonLabelRefused: "Hjälp – supporten kan inte nås från den här sidan just nu",
  refusedLine: "Supporten kan inte nås från den här sidan just nu.",
  refusedAlert: "Vi kan inte koppla dig till supporten från den här sidan just nu. Kontakta butiken på annat sätt.",
  // agents are signed in but busy: a press queues, with the honest estimate instead of the promise
  buttonLabelQueue: "Hjälp – alla är upptagna, väntetid cirka {minutes} min",
  queueLine: "Alla är upptagna just nu. Väntetid cirka {minutes} min.",
  buttonLabelCase: "Hjälp – visa ditt pågående ärende",
  minimisedLine: "Ditt ärende pågår – tryck för att öppna.",
  minimisedUnread: "Nytt meddelande från {name} – tryck för att läsa.",

  regionLabel: "Kundsupport",
  dialogTitle: "Hjälp",
  minimise: "Minimera",
  end: "Avsluta",
  close: "Stäng",
  privacy: "Vi använder video/röst bara för att hjälpa i stunden.", // seed
  // the panel's language switch: named in the language it switches to (its lang attribute says so)
  switchLanguage: "In English",

  connecting: "Kopplar upp dig till support…",
  // seed: "Kopplar upp dig till support… 20 s kvar" and "Du är nummer 1 i kön"
  countdown: "Kopplar upp dig till support… {seconds} s kvar",
  countdownOver: "Kopplar upp dig till support… det dröjer lite längre än beräknat.",
  noEta: "Alla i supporten är upptagna just nu. Du får svar så snart någon blir ledig.",
  position: "Du är nummer {position} i kön",
  contextNote: "Vi skickar med din korg ({amount}) och var du är i köpet, så slipper du förklara.",
  contextNoteEmpty: "Vi skickar med var du är i köpet, så slipper du förklara.",
  waitingHint: "Skriv gärna din fråga medan du väntar.",
  agentHere: "{name} är här", // from the accept, before the agent writes
  chattingWith: "Du chattar med {name}",
  agentTyping: "{name} skriver…",
  agentLost: "Anslutningen till supporten bröts. Du är först i kön igen.",
  takingOver: "{name} tar över", // a transfer to a named colleague
  transferredQueue: "Du kopplas vidare till {queue}. Du är först i kön.",
  transferredNeutral: "Du kopplas vidare. Du är först i kön.",
  reconnecting: "Återansluter…",
  restarting: "Servern startar om – vi återansluter dig…",
  unreachable: "Vi når inte supporten just nu. Kontrollera uppkopplingen och försök igen.",
  queueFull: "Kön är full just nu. Försök igen om en liten stund.",
  clusterUnavailable: "Supporten kan inte ta emot nya ärenden just nu. Försök igen om en liten stund.",
  retry: "Försök igen",

  // callbacks
  technicalError: "Tekniskt fel – vi ringer upp. Din korg sparas i {minutes} min.", // seed
  callbackOffer: "Det dröjer längre än vi lovat. Vill du att vi ringer upp dig i stället?",
  callbackOfferEstimate: "Det dröjer längre än beräknat. Vill du att vi ringer upp dig i stället?",
  callbackButton: "Ring upp mig",
  keepWaiting: "Jag väntar kvar",
  callbackIntroClosed: "Just nu är supporten stängd, så vi kan inte svara inom {seconds} sek.",
  callbackIntroNoAgent: "Ingen kan svara just nu, så vi kan inte lova svar inom {seconds} sek.",
  callbackQuestion: "Vill du att vi ringer upp dig? Din korg sparas i {minutes} min.",
  callbackConfirmed: "Tack! Vi ringer upp dig. Din korg sparas i {minutes} min.",
  cancel: "Avbryt",

  // chat
  messagesLabel: "Meddelanden",
  inputLabel: "Ditt meddelande",
  inputPlaceholder: "Skriv ditt meddelande…",
  send: "Skicka",
  you: "Du",
  notSent: "Kunde inte skickas",
  sending: "Skickas",
  sent: "Skickat",
  delivered: "Levererat",

  // photos (server/photos, docs/photos.md): shown only to the agent, never saved
  photoButton: "Skicka ett foto",
  photoPreviewAlt: "Ditt foto",
  photoSending: "Skickar fotot… {percent} %",
  photoSent: "Fotot är skickat. Bara den som hjälper dig ser det, och det sparas inte.",
  photoSentEarlier: "Du skickade ett foto.",
  photoErrors: {
    photo_too_large: "Fotot är för stort. Välj ett mindre foto eller ta en skärmbild av det.",
    photo_too_many_pixels: "Fotot har för hög upplösning. Ta en skärmbild av det och skicka den i stället.",
    photo_type_refused: "Den bildtypen kan vi inte ta emot. Skicka ett foto i JPEG, PNG eller WebP.",
    photo_heic: "HEIC-bilder kan vi inte läsa. Ta en skärmbild av fotot, eller välj Inställningar › Kamera › Format › Mest kompatibel.",
    photo_unreadable: "Fotot gick inte att läsa. Försök med ett annat foto.",
    photo_needs_agent: "Du kan skicka ett foto när någon har anslutit till chatten.",
    photo_case_budget_full: "Du har skickat så många foton som går i det här ärendet.",
    photo_memory_full: "Fotot kunde inte tas emot just nu. Försök igen om en stund.",
    rate_limited: "Du skickar foton för tätt. Vänta en stund och försök igen.",
    failed: "Fotot kunde inte skickas. Kontrollera anslutningen och försök igen.",
  },

  // the end (seed)
  wrapUp: "Klart! Skriv gärna hur det gick ({seconds} sek).",
  ratingLegend: "Hur gick det?",
  ratings: ["Mycket dåligt", "Dåligt", "Okej", "Bra", "Mycket bra"],
  ratingLabel: "Betyg {rating} av 5: {text}",
  feedbackText: "Kort kommentar (valfritt)",
  sendFeedback: "Skicka omdöme",
  thanks: "Tack för hjälpen!",
  thanksReceipt: "Ditt kvitto ligger i mobilen. Tack för hjälpen!",
  ended: "Ärendet är avslutat.",

  // voice and video beside the chat (docs/media.md); the purpose line is `privacy` (seed)
  agentFallback: "Supporten",
  mediaProposedVoice: "{name} föreslår att ni pratar i ett röstsamtal här i webbläsaren.",
  mediaProposedVideo: "{name} föreslår ett videosamtal, så att ni kan se samma sak.",
  mediaAccept: "Acceptera",
  mediaKeepChatting: "Fortsätt chatta",
  mediaRequestVoice: "Ring mig hellre",
  mediaRequested: "Vi frågar {name} om ni kan prata i ett röstsamtal…",
  mediaDeclinedByAgent: "{name} kan inte prata just nu – ni fortsätter i chatten.",
  mediaKeptChat: "Okej, ni fortsätter i chatten.",
  callVoice: "Röstsamtal med {name}",
  callVideo: "Videosamtal med {name}",
  callConnecting: "Kopplar upp samtalet…",
  callConnected: "Samtalet är igång. Chatten finns kvar nedanför.",
  callTrouble: "Anslutningen till samtalet krånglar…",
  callMute: "Mikrofon av",
  callCamera: "Kamera av",
  callHangUp: "Lägg på",
  callEnded: "Samtalet är avslutat – ni fortsätter i chatten.",
  callFailed: "Samtalet bröts – ni fortsätter i chatten.",
  callNoDevice: "Vi kommer inte åt mikrofonen eller kameran. Tillåt dem i webbläsaren, eller fortsätt i chatten.",
  remoteMuted: "{name} har stängt av mikrofonen.",
  remoteVideoLabel: "Video från {name}",
  selfViewLabel: "Din kamera",
};

const en = {
  buttonText: "Help",
  buttonLabel: "Help – answer within {seconds} sec",
  promise: "Need help? Answer within {seconds} sec.",
  buttonLabelPlain: "Help – contact customer support",
  buttonLabelClosed: "Help – support is closed, ask us to call you back",
  buttonLabelNoAgent: "Help – nobody can answer right now, ask us to call you back",
  closedLine: "Support is closed right now. We can call you back.",
  closedOpensAt: "Support is closed right now. We open {when}.",
  noAgentLine: "Nobody can answer right now. We can call you back.",
  buttonLabelRefused: "Help – support cannot be reached from this page right now",
  refusedLine: "Support cannot be reached from this page right now.",
  refusedAlert: "We cannot connect you to support from this page right now. Please contact the shop another way.",
  buttonLabelQueue: "Help – everyone is busy, waiting time about {minutes} min",
  queueLine: "Everyone is busy right now. Waiting time about {minutes} min.",
  buttonLabelCase: "Help – show your open case",
  minimisedLine: "Your case is open – press to show it.",
  minimisedUnread: "New message from {name} – press to read.",

  regionLabel: "Customer support",
  dialogTitle: "Help",
  minimise: "Minimise",
  end: "End",
  close: "Close",
  privacy: "We only use video/voice to help you right now.",
  switchLanguage: "På svenska",

  connecting: "Connecting you to support…",
  countdown: "Connecting you to support… {seconds} s left",
  countdownOver: "Connecting you to support… it is taking a little longer than estimated.",
  noEta: "Everyone in support is busy right now. You will be answered as soon as someone is free.",
  position: "You are number {position} in the queue",
  contextNote: "We send your cart ({amount}) and where you are in checkout, so you need not explain.",
  contextNoteEmpty: "We send where you are in checkout, so you need not explain.",
  waitingHint: "Feel free to type your question while you wait.",
  agentHere: "{name} is here",
  chattingWith: "You are chatting with {name}",
  agentTyping: "{name} is typing…",
  agentLost: "The connection to support was lost. You are first in the queue again.",
  takingOver: "{name} is taking over",
  transferredQueue: "You are being put through to {queue}. You are first in the queue.",
  transferredNeutral: "You are being put through. You are first in the queue.",
  reconnecting: "Reconnecting…",
  restarting: "The server is restarting – reconnecting you…",
  unreachable: "We cannot reach support right now. Check your connection and try again.",
  queueFull: "The queue is full right now. Please try again in a little while.",
  clusterUnavailable: "Support cannot take new requests right now. Please try again in a little while.",
  retry: "Try again",

  technicalError: "Technical error – we will call you back. Your cart is kept for {minutes} min.",
  callbackOffer: "This is taking longer than we promised. Would you like us to call you back instead?",
  callbackOfferEstimate: "This is taking longer than estimated. Would you like us to call you back instead?",
  callbackButton: "Call me back",
  keepWaiting: "I'll keep waiting",
  callbackIntroClosed: "Support is closed right now, so we cannot answer within {seconds} sec.",
  callbackIntroNoAgent: "Nobody can answer right now, so we cannot promise an answer within {seconds} sec.",
  callbackQuestion: "Would you like us to call you back? Your cart is kept for {minutes} min.",
  callbackConfirmed: "Thank you! We will call you back. Your cart is kept for {minutes} min.",
  cancel: "Cancel",

  messagesLabel: "Messages",
  inputLabel: "Your message",
  inputPlaceholder: "Type your message…",
  send: "Send",
  you: "You",
  notSent: "Could not be sent",
  sending: "Sending",
  sent: "Sent",
  delivered: "Delivered",

  photoButton: "Send a photo",
  photoPreviewAlt: "Your photo",
  photoSending: "Sending the photo… {percent}%",
  photoSent: "Photo sent. Only the person helping you sees it, and it is not saved.",
  photoSentEarlier: "You sent a photo.",
  photoErrors: {
    photo_too_large: "The photo is too large. Choose a smaller photo or take a screenshot of it.",
    photo_too_many_pixels: "The photo's resolution is too high. Take a screenshot of it and send that instead.",
    photo_type_refused: "We cannot take that kind of image. Send a photo in JPEG, PNG or WebP.",
    photo_heic: "We cannot read HEIC images. Take a screenshot of the photo, or choose Settings › Camera › Formats › Most Compatible.",
    photo_unreadable: "The photo could not be read. Try another photo.",
    photo_needs_agent: "You can send a photo once someone has joined the chat.",
    photo_case_budget_full: "You have sent as many photos as this conversation can take.",
    photo_memory_full: "The photo could not be taken right now. Try again in a moment.",
    rate_limited: "You are sending photos too quickly. Wait a moment and try again.",
    failed: "The photo could not be sent. Check your connection and try again.",
  },

  wrapUp: "Done! Tell us how it went ({seconds} sec).",
  ratingLegend: "How did it go?",
  ratings: ["Very bad", "Bad", "Okay", "Good", "Very good"],
  ratingLabel: "Rating {rating} of 5: {text}",
  feedbackText: "Short comment (optional)",
  sendFeedback: "Send feedback",
  thanks: "Thank you for your help!",
  thanksReceipt: "Your receipt is in your phone. Thank you for your help!",
  ended: "The case is closed.",

  agentFallback: "Support",
  mediaProposedVoice: "{name} suggests a voice call, right here in your browser.",
  mediaProposedVideo: "{name} suggests a video call, so you can both see the same thing.",
  mediaAccept: "Accept",
  mediaKeepChatting: "Keep chatting",
  mediaRequestVoice: "Call me instead",
  mediaRequested: "Asking {name} whether you can talk on a voice call…",
  mediaDeclinedByAgent: "{name} cannot talk right now – you carry on in the chat.",
  mediaKeptChat: "OK, you carry on in the chat.",
  callVoice: "Voice call with {name}",
  callVideo: "Video call with {name}",
  callConnecting: "Connecting the call…",
  callConnected: "The call is on. The chat stays below.",
  callTrouble: "The call's connection is having trouble…",
  callMute: "Mute microphone",
  callCamera: "Camera off",
  callHangUp: "Hang up",
  callEnded: "The call has ended – you carry on in the chat.",
  callFailed: "The call was cut off – you carry on in the chat.",
  callNoDevice: "We cannot use your microphone or camera. Allow them in the browser, or carry on in the chat.",
  remoteMuted: "{name} has muted their microphone.",
  remoteVideoLabel: "Video from {name}",
  selfViewLabel: "Your camera",
};

/** The shop's country decides the number style; the customer's language picks the words. */
const LOCALES = { sv: "sv-SE", en: "en-SE" };

function language(signal) {
  return String(signal || "").toLowerCase().startsWith("en") ? "en" : "sv";
}

function format(template, values) {
  return template.replace(/\{(\w+)\}/g, (whole, key) =>
    values && values[key] !== undefined ? String(values[key]) : whole);
}

/** 142.5 → "142,50 kr" (sv-SE, with a no-break space, as the server's quick replies write it). */
function formatAmount(amount, currency, lang) {
  return new Intl.NumberFormat(LOCALES[language(lang)], {
    style: "currency", currency: currency || "SEK",
  }).format(amount);
}

export default Object.freeze({
  catalogue: Object.freeze({ sv: Object.freeze(sv), en: Object.freeze(en) }),
  LOCALES,
  language,
  format,
  formatAmount,
  /** A translator for one language: t("position", {position: 1}). */
  translator(lang) {
    const table = lang === "en" ? en : sv;
    return (key, values) => {
      const text = table[key] !== undefined ? table[key] : sv[key];
      return typeof text === "string" ? format(text, values) : text;
    };
  },
});
