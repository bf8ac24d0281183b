"""The context a Help press carries: where the customer is, what they are buying, on what device.

These are the routing signals of the specification. The model validates and bounds them,
so the rules engine and the agent console can trust every field.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from .text import Currency, Line

Short = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[\w.:@/ -]+$")]
Text = Annotated[Line, Field(max_length=200)]

Position = Literal["entry", "checkout", "shelf"]
ChannelKind = Literal["app", "kiosk", "web"]
PaymentStep = Literal["browsing", "cart", "payment", "after_payment"]
Network = Literal["wifi", "4g", "5g", "ethernet", "offline", "unknown"]
Device = Literal["mobile", "tablet", "desktop", "kiosk", "unknown"]
Language = Literal["sv", "en"]
#: why the customer asks, when the page knows better than "help": a kiosk's "Verify age by
#: video" button sends "age_check" so a rule can route it to the staff who approve ages
Topic = Literal["help", "age_check"]

SIGNALS: tuple[str, ...] = (
    "store",
    "position",
    "channel",
    "cart_value",
    "payment_step",
    "device",
    "network",
    "battery",
    "offline_mode",
    "language",
    "topic",
)


class CartLine(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: Short
    name: Text
    quantity: int = Field(ge=1, le=9999)
    unit_price: float = Field(ge=0, le=10_000_000)
    age_restricted: bool = False


class Cart(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lines: list[CartLine] = Field(default_factory=list)
    currency: Annotated[Currency, Field(pattern=r"^[A-Z]{3}$")] = "SEK"

    @property
    def total(self) -> float:
        return round(sum(line.unit_price * line.quantity for line in self.lines), 2)


class CaseContext(BaseModel):
    """Everything the widget sends automatically when Help is pressed."""

    model_config = ConfigDict(extra="forbid")

    store: Short
    channel: ChannelKind = "web"
    position: Position | None = None
    page: Text | None = None
    cart: Cart = Field(default_factory=Cart)
    payment_step: PaymentStep | None = None
    device: Device = "unknown"
    network: Network = "unknown"
    battery: int | None = Field(None, ge=0, le=100)
    offline_mode: bool = False
    language: Language = "sv"
    logged_in: bool = False
    session_id: Short | None = None
    topic: Topic | None = None

    def signal(self, name: str) -> object:
        """A routing signal by its rules-file name."""
        if name == "cart_value":
            return self.cart.total
        return getattr(self, name)
