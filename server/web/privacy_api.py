"""Admin endpoints for privacy requests: erase, export, the access log (docs/protocol.md "Privacy").

Every request needs ``Authorization: Bearer <agent token>`` (POST /api/agent/login) of an agent
with the ``supervisor`` role, the role that may administer Helpwire. Each erase and export is
recorded in the access log; so is each read of the access log.
"""

from __future__ import annotations

from typing import Annotated

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..privacy.operations import Actor
from ..security.tokens import InvalidToken
from ..store.privacy import Selector
from .api import read_json
from .errors import error_response
from .keys import SERVICES, SETTINGS

routes = web.RouteTableDef()

#: the role that may administer (the supervisor view, privacy requests)
ADMIN_ROLE = "supervisor"
#: most access-log rows one request returns

Id = Annotated[str, Field(min_length=1, max_length=200)]


class PrivacyRequest(BaseModel):
    """Exactly one selector (a time window only with ``kiosk_id``) and an optional reason."""

    model_config = ConfigDict(extra="forbid")

    case_id: Id | None = None
    session_id: Id | None = None
    kiosk_id: Id | None = None
    visitor_id: Id | None = None
    phone: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    since: float | None = None
    until: float | None = None
    #: why, e.g. the ticket number of the request; kept in the access log
    reason: Annotated[str, Field(max_length=500)] | None = None

    def selector(self) -> Selector:
        return Selector(case_id=self.case_id, session_id=self.session_id, kiosk_id=self.kiosk_id,
                        visitor_id=self.visitor_id, phone=self.phone, since=self.since,
                        until=self.until)


async def _admin(request: web.Request) -> str | web.Response:
    """The signed-in admin's agent id, or the error response to send."""
    services = request.app[SERVICES]
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return error_response(401, "not_authenticated",
                              "send Authorization: Bearer <token> from POST /api/agent/login",
                              headers={"WWW-Authenticate": 'Bearer realm="helpwire-admin"'})
    try:
        agent_id = services.signer.agent_id(token.strip())
    except InvalidToken as error:
        return error_response(401, error.code, error.message)
    agent = await services.agents.by_id(agent_id)
    if agent is None or ADMIN_ROLE not in agent.roles:
        return error_response(403, "forbidden", "privacy requests need the supervisor role "
                                                "(python -m server create-agent NAME --role supervisor)")
    return agent.id


async def _request(request: web.Request) -> PrivacyRequest | web.Response:
    try:
        body = PrivacyRequest.model_validate(await read_json(request))
        body.selector()
    except ValidationError as error:
        first = error.errors(include_url=False, include_input=False)[0]
        field = ".".join(str(p) for p in first["loc"]) or "(body)"
        return error_response(400, "invalid_payload", f"{field}: {first['msg']}")
    except ValueError as error:
        return error_response(400, "invalid_selector", str(error))
    return body


@routes.post("/api/admin/privacy/erase")
async def erase(request: web.Request) -> web.Response:
    admin = await _admin(request)
    if isinstance(admin, web.Response):
        return admin
    body = await _request(request)
    if isinstance(body, web.Response):
        return body
    privacy = request.app[SERVICES].privacy
    erased = await privacy.erase(body.selector(), Actor("supervisor", admin), body.reason)
    return web.json_response(erased.as_dict())


@routes.post("/api/admin/privacy/export")
async def export(request: web.Request) -> web.Response:
    admin = await _admin(request)
    if isinstance(admin, web.Response):
        return admin
    body = await _request(request)
    if isinstance(body, web.Response):
        return body
    privacy = request.app[SERVICES].privacy
    document = await privacy.export(body.selector(), Actor("supervisor", admin), body.reason)
    return web.json_response(document)


@routes.get("/api/admin/access-log")
async def access_log(request: web.Request) -> web.Response:
    admin = await _admin(request)
    if isinstance(admin, web.Response):
        return admin
    query = request.query
    try:
        limit = int(query.get("limit", "100"))
        before_id = int(query["before_id"]) if "before_id" in query else None
    except ValueError:
        return error_response(400, "invalid_payload", "limit and before_id are whole numbers")
    most = request.app[SETTINGS].limits.max_access_log_rows
    if not 1 <= limit <= most:
        return error_response(400, "invalid_payload",
                              f"limit is 1–{most} (setting limits.max_access_log_rows)")
    case_id = query.get("case_id") or None
    log = request.app[SERVICES].privacy.access_log
    rows = await log.rows(case_id=case_id, limit=limit, before_id=before_id)
    await log.record("supervisor", admin, "access_log_read", case_id=case_id)
    return web.json_response({"rows": rows})
