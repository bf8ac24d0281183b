"""JSON endpoints: health and agent sign-in. Errors are `{error: {code, message}}` with a status."""

from __future__ import annotations

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..core.text import Line
from ..logs import get_logger
from ..security.passwords import verify_password
from .body import read_json
from .errors import error_response
from .keys import SERVICES

__all__ = ["error_response", "read_json", "routes"]

log = get_logger("helpwire.api")
routes = web.RouteTableDef()


class LoginRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    username: Line = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


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
    services = request.app[SERVICES]
    try:
        body = LoginRequest.model_validate(await read_json(request))
    except ValidationError:
        return error_response(400, "invalid_payload", "send {username, password} as strings")
    agent = await services.agents.by_username(body.username)
    if agent is None or not await verify_password(agent.password_hash, body.password):
        log.info("agent_login_refused")
        return error_response(401, "invalid_credentials", "wrong username or password")
    log.info("agent_login", agent_id=agent.id)
    return web.json_response({
        "token": services.signer.agent_token(agent.id),
        "expires_in": services.settings.agent_token_ttl_seconds,
        "agent": {"id": agent.id, "display_name": agent.display_name},
    })
