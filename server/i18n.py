"""The texts the server itself says, in Swedish and English, and locale-aware formatting (quick
replies quoting the cart)."""

from __future__ import annotations

from babel.numbers import format_currency

#: the shop's country decides number style; the customer's language picks the words
LOCALES = {"sv": "sv_SE", "en": "en_SE"}


def format_amount(amount: float, currency: str, language: str) -> str:
    """142.5 SEK → '142,50 kr' (with a no-break space, as CLDR and the browser's Intl write it)."""
    return str(format_currency(amount, currency, locale=LOCALES.get(language, "sv_SE")))


#: the automatic greeting said for an agent the moment they accept (setting auto_greeting);
#: "{name}" is the agent's display name
AUTO_GREETING = {
    "sv": "Hej, jag heter {name}. Vad kan jag hjälpa dig med?",
    "en": "Hi, I'm {name}. How can I help you?",
}
