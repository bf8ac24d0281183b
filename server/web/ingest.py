"""Purchases, shop-session exposures and progress, the A/B assignment, the demo shop's ingest key.

``POST /api/purchases`` needs ``Authorization: Bearer <key>`` with a key from the
``ingest_api_keys`` setting (or, only under ``serve --demo``, the process's demo key). Exposures
and progress are logged by the widget in the browser, so those endpoints take no key: they store
one row per session (and step) and nothing else. See docs/protocol.md, "Purchases, sessions and
the A/B test".
"""

from __future__ import annotations

import hmac
import math
import secrets

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ..core.abtest import VARIANTS, assign
from ..core.text import Line, iso_currency
from ..logs import get_logger
from . import throttle
from .api import error_response, read_json
from .keys import SERVICES, SETTINGS

log = get_logger("helpwire.ingest")
routes = web.RouteTableDef()

#: a random key made at start-up when the server runs with --demo (never otherwise)
DEMO_INGEST_KEY: web.AppKey[str] = web.AppKey("demo_ingest_key", str)

ID = r"^[A-Za-z0-9._:@/-]+$"


def new_demo_key() -> str:
    return "demo-" + secrets.token_urlsafe(24)


class PurchaseIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    order_id: str = Field(min_length=1, max_length=200, pattern=ID)
    session_id: str | None = Field(None, min_length=1, max_length=200, pattern=ID)
    store: Line = Field(min_length=1, max_length=200)
    amount: float = Field(ge=0, le=10_000_000)
    currency: str = Field(pattern=r"^[A-Za-z]{3}$")
    at: float | None = Field(None, gt=0)

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        iso_currency(value.upper())
        return value

    @field_validator("amount", "at")
    @classmethod
    def _finite(cls, value: float | None) -> float | None:
        if value is not None and not math.isfinite(value):
            raise ValueError("must be a finite number")
        return value


class ExposureIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    session_id: str = Field(min_length=1, max_length=200, pattern=ID)
    store: Line = Field(min_length=1, max_length=200)
    variant: str

    @field_validator("variant")
    @classmethod
    def _variant(cls, value: str) -> str:
        if value not in VARIANTS:
            raise ValueError("variant must be A or B")
        return value


#: the purchase steps a session's progress may report (payment-step abandonment)
PROGRESS_STEPS = ("payment",)


class ProgressIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    session_id: str = Field(min_length=1, max_length=200, pattern=ID)
    store: Line = Field(min_length=1, max_length=200)
    step: str

    @field_validator("step")
    @classmethod
    def _step(cls, value: str) -> str:
        if value not in PROGRESS_STEPS:
            raise ValueError("step must be 'payment'")
        return value


def _authorised(request: web.Request) -> bool:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return False
    keys = list(request.app[SETTINGS].ingest_api_keys)
    demo = request.app.get(DEMO_INGEST_KEY)
    if demo:
        keys.append(demo)
    # compare against every key, so timing does not tell which prefix matched
    matched = False
    for key in keys:
        matched |= hmac.compare_digest(token.strip().encode(), key.encode())
    return matched


def _invalid(error: ValidationError, shape: str) -> web.Response:
    first = error.errors(include_url=False, include_input=False)[0]
    where = ".".join(str(p) for p in first["loc"]) or "(body)"
    return error_response(400, "invalid_payload", f"{where}: {first['msg']}; send {shape}")


@routes.post("/api/purchases")
async def add_purchase(request: web.Request) -> web.Response:
    if not _authorised(request):
        return web.json_response(
            {"error": {"code": "not_authorised",
                       "message": "send Authorization: Bearer <key> with a key from ingest_api_keys"}},
            status=401, headers={"WWW-Authenticate": 'Bearer realm="helpwire-ingest"'},
        )
    refused = throttle.take(request.app[SERVICES].guard.ingest_per_key, throttle.bearer_key(request))
    if refused is not None:
        return refused
    try:
        body = PurchaseIn.model_validate(await read_json(request))
    except ValidationError as error:
        return _invalid(error, "{order_id, session_id, store, amount, currency, at?}")
    services = request.app[SERVICES]
    now = services.engine.clock.now()
    recorded = await services.analytics.add_purchase(
        order_id=body.order_id, session_id=body.session_id, store=body.store, amount=body.amount,
        currency=body.currency, at=body.at if body.at is not None else now, received_at=now,
    )
    stored = recorded.row
    if not recorded.created and (
        stored["store"] != body.store or stored["session_id"] != body.session_id
        or round(stored["amount"] * 100) != round(body.amount * 100)
        or stored["currency"] != body.currency.upper()
    ):
        return error_response(409, "order_conflict",
                              f"order {body.order_id!r} was already recorded with other values")
    log.info("purchase_recorded" if recorded.created else "purchase_repeated",
             order_id=body.order_id, store=body.store)
    return web.json_response(
        {"order_id": body.order_id, "created": recorded.created, "at": stored["at"]},
        status=201 if recorded.created else 200,
    )


@routes.post("/api/sessions/exposure")
async def add_exposure(request: web.Request) -> web.Response:
    refused = throttle.take(request.app[SERVICES].guard.ingest_per_key,
                            "address:" + throttle.address_of(request))
    if refused is not None:
        return refused
    try:
        body = ExposureIn.model_validate(await read_json(request))
    except ValidationError as error:
        return _invalid(error, "{session_id, store, variant: 'A' | 'B'}")
    services = request.app[SERVICES]
    recorded = await services.analytics.add_exposure(
        session_id=body.session_id, store=body.store, variant=body.variant,
        at=services.engine.clock.now(),
    )
    return web.json_response(
        {"session_id": body.session_id, "variant": recorded.row["variant"],
         "created": recorded.created},
        status=201 if recorded.created else 200,
    )


@routes.post("/api/sessions/progress")
async def add_progress(request: web.Request) -> web.Response:
    refused = throttle.take(request.app[SERVICES].guard.ingest_per_key,
                            "address:" + throttle.address_of(request))
    if refused is not None:
        return refused
    try:
        body = ProgressIn.model_validate(await read_json(request))
    except ValidationError as error:
        return _invalid(error, "{session_id, store, step: 'payment'}")
    services = request.app[SERVICES]
    recorded = await services.analytics.add_progress(
        session_id=body.session_id, store=body.store, step=body.step,
        at=services.engine.clock.now(),
    )
    return web.json_response(
        {"session_id": body.session_id, "step": body.step, "at": recorded.row["at"],
         "created": recorded.created},
        status=201 if recorded.created else 200,
    )


@routes.get("/api/ab/assignment")
async def ab_assignment(request: web.Request) -> web.Response:
    visitor = request.query.get("visitor", "")
    if not visitor or len(visitor) > 200:
        return error_response(400, "invalid_payload", "give ?visitor=<id> (1–200 characters)")
    ab = request.app[SETTINGS].ab_test
    # off: everyone gets the visible button with the promise (B), and nobody is assigned
    variant = assign(visitor, ab.salt, ab.split_b) if ab.enabled else "B"
    return web.json_response({"visitor": visitor, "variant": variant, "enabled": ab.enabled},
                             headers={"Cache-Control": "no-store"})


@routes.get("/api/demo/ingest-key")
async def demo_ingest_key(request: web.Request) -> web.Response:
    """The demo shop's key: only when the server runs with --demo; otherwise ``{"key": null}``."""
    return web.json_response({"key": request.app.get(DEMO_INGEST_KEY)},
                             headers={"Cache-Control": "no-store"})
