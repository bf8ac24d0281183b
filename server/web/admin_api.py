"""Admin endpoints: agents, quick replies, labels, opening hours per store, queues, the audit log
(docs/protocol.md "Admin").

Every request needs ``Authorization: Bearer <agent token>`` (POST /api/agent/login) of an agent
with the ``admin`` role. A value the settings file would refuse is answered ``422
invalid_setting`` with the ``field`` it is about; every change is in the audit log and live at
once (server/admin).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError

from ..admin.models import (
    AgentChange,
    AgentCreate,
    Labels,
    LimitError,
    Name,
    PasswordReset,
    QueueConfig,
    QuickReplies,
    Store,
    StoreHours,
)
from ..admin.service import ADMIN_ROLE, OwnAdminAccess
from ..core.errors import AgentNotFound
from ..store.agents import AgentExists, StoredAgent
from .api import _bearer_agent
from .body import read_json
from .errors import error_response
from .keys import SERVICES

routes = web.RouteTableDef()
M = TypeVar("M", bound=BaseModel)
Handler = Callable[[web.Request, StoredAgent], Awaitable[web.Response]]


def invalid_setting(field: str, message: str) -> web.Response:
    return web.json_response({"error": {"code": "invalid_setting", "message": message,
                                        "field": field}}, status=422)


def admin_only(handler: Handler) -> Callable[[web.Request], Awaitable[web.Response]]:
    """401 without a valid agent token, 403 without the admin role; the errors of a change
    answered with their stable codes."""

    async def guarded(request: web.Request) -> web.Response:
        agent, refused = await _bearer_agent(request)
        if agent is None:
            assert refused is not None
            return refused
        if ADMIN_ROLE not in agent.roles or agent.disabled:
            return error_response(403, "forbidden", "admin needs the admin role (python -m server"
                                                    " create-agent NAME --role admin)")
        try:
            return await handler(request, agent)
        except LimitError as error:
            return invalid_setting(error.field, error.message)
        except AgentNotFound as error:
            return error_response(404, error.code, error.message)
        except (AgentExists, OwnAdminAccess) as error:
            return error_response(409, error.code, error.message)

    return guarded


async def body_of(request: web.Request, model: type[M]) -> M:
    """The body as ``model``; a LimitError (→ 422 invalid_setting) naming the first bad field."""
    try:
        return model.model_validate(await read_json(request))
    except ValidationError as error:
        first = error.errors(include_url=False, include_input=False)[0]
        field = ".".join(str(p) for p in first["loc"]) or "(body)"
        raise LimitError(field, f"{field}: {first['msg']}") from None


class _StoreName(BaseModel):
    store: Store


class _QueueName(BaseModel):
    queue: Name


def _check(model: type[BaseModel], key: str, value: str) -> str:
    try:
        model.model_validate({key: value})
    except ValidationError:
        raise LimitError(key, f"{key}: {value!r} is not a valid name") from None
    return value


@routes.get("/api/admin/agents")
@admin_only
async def list_agents(request: web.Request, actor: StoredAgent) -> web.Response:
    return web.json_response({"agents": await request.app[SERVICES].admin.agents()})


@routes.post("/api/admin/agents")
@admin_only
async def create_agent(request: web.Request, actor: StoredAgent) -> web.Response:
    body = await body_of(request, AgentCreate)
    agent = await request.app[SERVICES].admin.create_agent(actor, body)
    return web.json_response({"agent": agent}, status=201)


@routes.patch("/api/admin/agents/{agent_id}")
@admin_only
async def change_agent(request: web.Request, actor: StoredAgent) -> web.Response:
    body = await body_of(request, AgentChange)
    agent = await request.app[SERVICES].admin.change_agent(actor, request.match_info["agent_id"],
                                                           body)
    return web.json_response({"agent": agent})


@routes.post("/api/admin/agents/{agent_id}/password")
@admin_only
async def reset_password(request: web.Request, actor: StoredAgent) -> web.Response:
    body = await body_of(request, PasswordReset)
    await request.app[SERVICES].admin.reset_password(actor, request.match_info["agent_id"],
                                                     body.password)
    return web.json_response({"password_reset": True})


@routes.get("/api/admin/settings")
@admin_only
async def settings(request: web.Request, actor: StoredAgent) -> web.Response:
    return web.json_response(request.app[SERVICES].admin.config())


@routes.put("/api/admin/quick-replies")
@admin_only
async def quick_replies(request: web.Request, actor: StoredAgent) -> web.Response:
    body = await body_of(request, QuickReplies)
    saved = await request.app[SERVICES].admin.set_quick_replies(actor, body.quick_replies)
    return web.json_response({"quick_replies": saved})


@routes.put("/api/admin/labels")
@admin_only
async def labels(request: web.Request, actor: StoredAgent) -> web.Response:
    body = await body_of(request, Labels)
    saved = await request.app[SERVICES].admin.set_labels(actor, body.labels)
    return web.json_response({"labels": saved})


@routes.put("/api/admin/opening-hours/{store}")
@admin_only
async def store_hours(request: web.Request, actor: StoredAgent) -> web.Response:
    store = _check(_StoreName, "store", request.match_info["store"])
    body = await body_of(request, StoreHours)
    saved = await request.app[SERVICES].admin.set_store_hours(actor, store, body)
    return web.json_response({"store": store, "hours": saved})


@routes.delete("/api/admin/opening-hours/{store}")
@admin_only
async def store_hours_removed(request: web.Request, actor: StoredAgent) -> web.Response:
    store = _check(_StoreName, "store", request.match_info["store"])
    await request.app[SERVICES].admin.set_store_hours(actor, store, None)
    return web.json_response({"store": store, "hours": None})


@routes.put("/api/admin/queues/{queue}")
@admin_only
async def queue(request: web.Request, actor: StoredAgent) -> web.Response:
    name = _check(_QueueName, "queue", request.match_info["queue"])
    body = await body_of(request, QueueConfig)
    saved = await request.app[SERVICES].admin.set_queue(actor, name, body)
    return web.json_response({"queue": name, **saved})


@routes.get("/api/admin/audit-log")
@admin_only
async def audit_log(request: web.Request, actor: StoredAgent) -> web.Response:
    services = request.app[SERVICES]
    most = services.settings.admin.max_audit_rows
    try:
        limit = int(request.query.get("limit", "100"))
        before_id = int(request.query["before_id"]) if "before_id" in request.query else None
    except ValueError:
        raise LimitError("limit", "limit and before_id are whole numbers") from None
    if not 1 <= limit <= most:
        raise LimitError("limit", f"limit is 1–{most} (setting admin.max_audit_rows)")
    return web.json_response({"rows": await services.admin.audit_rows(limit, before_id)})
