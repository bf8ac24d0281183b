"""The texts the server itself says and renders, in Swedish and English: the message catalogue of
the server (the web clients have theirs in web_client/*/messages.js), and locale-aware formatting
(quick replies quoting the cart, durations in consent prompts)."""

from __future__ import annotations

from babel.numbers import format_currency

#: the shop's country decides number style; the customer's language picks the words
LOCALES = {"sv": "sv_SE", "en": "en_SE"}


#: message id → language → text; {placeholders} are filled by ``message``
MESSAGES: dict[str, dict[str, str]] = {
    "consent.screen_share": {
        "sv": "Support kan tillfälligt se kassaskärmen i {duration}. Godkänn?",
        "en": "Support may see the checkout screen for {duration}. Approve?",
    },
    "consent.age_check": {
        "sv": "Ålderskontroll med kamera. Vi använder video/röst bara för att hjälpa i stunden.",
        "en": "Age check by camera. We use video/voice only to help you right now.",
    },
    "consent.age_check_item": {
        "sv": "Ålderskontroll med kamera för {item}."
              " Vi använder video/röst bara för att hjälpa i stunden.",
        "en": "Age check by camera for {item}. We use video/voice only to help you right now.",
    },
}


def message(message_id: str, **values: str) -> dict[str, str]:
    """One catalogue message in every language, its placeholders filled (per language)."""
    return {language: text.format(**values) for language, text in MESSAGES[message_id].items()}


def format_duration(seconds: float, language: str) -> str:
    """300 → '5 min'; 7.5 → '7,5 s' in Swedish, '7.5 s' in English."""
    if seconds >= 60 and seconds % 60 == 0:
        return f"{int(seconds // 60)} min"
    return f"{seconds:g} s" if language == "en" else f"{seconds:g} s".replace(".", ",")


def format_amount(amount: float, currency: str, language: str) -> str:
    """142.5 SEK → '142,50 kr' (with a no-break space, as CLDR and the browser's Intl write it)."""
    return str(format_currency(amount, currency, locale=LOCALES.get(language, "sv_SE")))


#: the automatic greeting said for an agent the moment they accept (setting auto_greeting);
#: "{name}" is the agent's display name
AUTO_GREETING = {
    "sv": "Hej, jag heter {name}. Vad kan jag hjälpa dig med?",
    "en": "Hi, I'm {name}. How can I help you?",
}
