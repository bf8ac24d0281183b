"""JSON endpoints: health and agent sign-in. Errors are `{error: {code, message}}` with a status."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..logs import get_logger
from ..security.addresses import pseudonym
from ..security.ratelimit import RateLimited
from . import throttle
from .errors import error_response
from .keys import SERVICES

__all__ = ["error_response", "read_json", "routes"]

log = get_logger("helpwire.api")
routes = web.RouteTableDef()


class LoginRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


async def read_json(request: web.Request) -> Any:
    if request.content_type != "application/json":
        raise web.HTTPUnsupportedMediaType(
            text=json.dumps({"error": {"code": "unsupported_media_type",
                                       "message": "send the body as application/json"}}),
            content_type="application/json",
        )
    try:
        return await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise web.HTTPBadRequest(
            text=json.dumps({"error": {"code": "invalid_json",
                                       "message": "the body is not valid JSON"}}),
            content_type="application/json",
        ) from None


@routes.get("/healthz")
async def healthz(request: web.Request) -> web.Response:
    """ok (200) only when the database answers AND the server's own writes are being committed."""
    services = request.app[SERVICES]
    persister = services.persister
    reasons: list[str] = []
    if not await services.database.ping():
        reasons.append("database_unreachable")
    refusal = persister.writable()
    if refusal is not None:
        reasons.append(refusal)
    if not reasons:
        return web.json_response({"status": "ok"})
    return web.json_response(
        {
            "status": "degraded",
            "reasons": reasons,
            "reason": _HEALTH_TEXT.get(reasons[0], reasons[0]),
            "pending_writes": persister.pending,
            "oldest_pending_write_seconds": round(persister.oldest_pending_seconds(), 3),
            "last_error": persister.health.last_error,
        },
        status=503,
    )


#: what each degraded reason means, for the operator reading /healthz
_HEALTH_TEXT = {
    "database_unreachable": "the database cannot be reached",
    "writes_failing": "writes to the database fail; they are being retried",
    "write_timeout": "writes to the database time out; they are being retried",
    "disk_full": "the database's disk is full; free space, writes are being retried",
    "too_many_pending_writes": "too many writes wait to be stored; new case changes are refused",
}


@routes.post("/api/agent/login")
async def agent_login(request: web.Request) -> web.Response:
    """Sign in. Throttled per client address and locked per username after wrong passwords;
    known and unknown usernames cost the same Argon2 check (docs/security.md)."""
    services = request.app[SERVICES]
    guard = services.guard
    address = throttle.address_of(request)
    try:
        guard.login_per_address.take(address)
        body = LoginRequest.model_validate(await read_json(request))
        guard.logins.check(body.username.casefold())
        agent = await services.agents.by_username(body.username)
        ok = await guard.passwords.verify(agent.password_hash if agent else None, body.password)
    except ValidationError:
        return error_response(400, "invalid_payload", "send {username, password} as strings")
    except RateLimited as error:
        _refused(services.signer.secret, address, None, error.code)
        return throttle.too_many(error)
    if agent is None or not ok:
        guard.logins.failed(body.username.casefold())
        _refused(services.signer.secret, address, body.username, "invalid_credentials")
        return error_response(401, "invalid_credentials", "wrong username or password")
    guard.logins.succeeded(body.username.casefold())
    log.info("agent_login", agent_id=agent.id)
    return web.json_response({
        "token": services.signer.agent_token(agent.id),
        "expires_in": services.settings.agent_token_ttl_seconds,
        "agent": {"id": agent.id, "display_name": agent.display_name},
    })


def _refused(secret: str, address: str, username: str | None, code: str) -> None:
    """A refused sign-in, traceable to where it came from without naming the address or user."""
    fields = {"address_id": pseudonym(secret, "address:" + address), "code": code}
    if username is not None:
        fields["user_id"] = pseudonym(secret, "user:" + username.casefold())
    log.info("agent_login_refused", **fields)
