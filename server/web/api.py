"""JSON endpoints: health and agent sign-in. Errors are `{error: {code, message}}` with a status."""

from __future__ import annotations

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..core.text import Line
from ..logs import get_logger
from ..security.addresses import pseudonym
from ..security.ratelimit import RateLimited
from ..security.tokens import InvalidToken, check_version
from ..signalling.rooms import AGENT_NS
from ..store.agents import StoredAgent
from . import throttle
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
    if services.drain.draining:  # about to stop: the load balancer sends nobody new here
        return web.json_response({"status": "draining",
                                  "live_cases": len(services.drain.hosted_cases())}, status=503)
    persister = services.persister
    reasons: list[str] = []
    if not await services.database.ping():
        reasons.append("database_unreachable")
    refusal = persister.writable()
    if refusal is not None:
        reasons.append(refusal)
    shared = services.shared_dispatch
    if shared is not None and shared.refusal() is not None:
        reasons.append("cluster_unavailable")
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
    "cluster_unavailable": "the Redis of the shared dispatch state was unreachable for longer than"
                           " [cluster] max_journal commands; new cases are refused until it answers",
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
    if agent.disabled:  # told only with the right password: no hint to a guesser
        log.info("agent_login_refused_disabled", agent_id=agent.id)
        return error_response(403, "agent_disabled",
                              "an admin has disabled this account; ask them to enable it")
    log.info("agent_login", agent_id=agent.id)
    return web.json_response({
        "token": services.signer.agent_token(agent.id, agent.token_version),
        "expires_in": services.settings.security.agent_token_ttl_seconds,
        "agent": {"id": agent.id, "display_name": agent.display_name},
    })


def _refused(secret: str, address: str, username: str | None, code: str) -> None:
    """A refused sign-in, traceable to where it came from without naming the address or user."""
    fields = {"address_id": pseudonym(secret, "address:" + address), "code": code}
    if username is not None:
        fields["user_id"] = pseudonym(secret, "user:" + username.casefold())
    log.info("agent_login_refused", **fields)


async def _bearer_agent(request: web.Request) -> tuple[StoredAgent | None, web.Response | None]:
    """The signed-in agent of ``Authorization: Bearer <agent token>``, or the 401 to answer."""
    services = request.app[SERVICES]
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    try:
        if scheme.lower() != "bearer":
            raise InvalidToken("send Authorization: Bearer <agent token>")
        claims = services.signer.agent_claims(token.strip())
        agent = await services.agents.by_id(claims.agent_id)
        if agent is None:
            raise InvalidToken("this agent no longer exists; sign in again")
        check_version(claims, agent.token_version)
    except InvalidToken as error:
        return None, error_response(401, error.code, error.message,
                                    {"WWW-Authenticate": 'Bearer realm="helpwire-agent"'})
    return agent, None


@routes.post("/api/agent/refresh")
async def agent_refresh(request: web.Request) -> web.Response:
    """A new token for a still valid one, so a console stays signed in past the old expiry."""
    services = request.app[SERVICES]
    agent, refused = await _bearer_agent(request)
    if agent is None:
        assert refused is not None
        return refused
    return web.json_response({
        "token": services.signer.agent_token(agent.id, agent.token_version),
        "expires_in": services.settings.security.agent_token_ttl_seconds,
    }, headers={"Cache-Control": "no-store"})


@routes.post("/api/agent/logout")
async def agent_logout(request: web.Request) -> web.Response:
    """Sign out everywhere: every token of the agent is revoked and their sockets closed."""
    services = request.app[SERVICES]
    agent, refused = await _bearer_agent(request)
    if agent is None:
        assert refused is not None
        return refused
    await services.agents.revoke_tokens(agent.id)
    namespace = services.sio.namespace_handlers.get(AGENT_NS)
    if namespace is not None:
        await namespace.revoke(agent.id)
    log.info("agent_logout", agent_id=agent.id)
    return web.json_response({"signed_out": True})
