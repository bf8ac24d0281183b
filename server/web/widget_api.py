"""What the Help widget asks before it draws its button: show it here? may it promise an answer?

`GET /api/widget/status?store=&page=&channel=&logged_in=&language=&payment_step=` (also
position, device, network, offline_mode: every routing signal except the cart) →
`{show, open, agents_available, promise, eta_seconds, promise_seconds, reason, opens_at,
timezone}`: `promise` is "promise" only when an agent can keep it now (server/core/readiness.py),
"queue" when agents are busy (then `eta_seconds` is the honest estimate), otherwise "callback".
The display rules are the operator's (settings.display, server/core/display.py, with a store's
own opening hours from /admin); whether an agent
is available comes from the case engine, for the queue this context would be routed to.
"""

from __future__ import annotations

from datetime import UTC, datetime

from aiohttp import web
from pydantic import ValidationError

from ..core.context import CaseContext
from ..core.display import decide
from .api import error_response
from .keys import SERVICES

routes = web.RouteTableDef()

#: query parameters read into the routing context; the cart never travels in a URL
_SIGNALS = ("store", "channel", "position", "page", "payment_step", "device", "network",
            "battery", "offline_mode", "language", "logged_in")


@routes.get("/api/widget/status")
async def widget_status(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    settings = services.settings
    query = {name: request.query[name] for name in _SIGNALS if request.query.get(name, "") != ""}
    try:
        context = CaseContext.model_validate(query)
    except ValidationError as exc:
        first = exc.errors(include_url=False, include_input=False)[0]
        field = ".".join(str(p) for p in first["loc"]) or "(query)"
        response = error_response(400, "invalid_payload", f"{field}: {first['msg']}")
    else:
        engine = services.engine
        readiness = engine.readiness(context)
        agents_available = readiness.verdict != "callback"
        display = services.live.display_for(context.store)  # a store's own opening hours
        decision = decide(
            display,
            page=context.page,
            channel=context.channel,
            logged_in=context.logged_in,
            at=datetime.fromtimestamp(engine.clock.now(), tz=UTC),
            readiness=readiness,
        )
        response = web.json_response({
            "show": decision.show,
            "open": decision.open,
            "agents_available": agents_available,
            "promise": decision.promise,
            "eta_seconds": decision.eta_seconds,
            "promise_seconds": int(settings.dispatch.promise_seconds),
            "reason": decision.reason,
            "opens_at": decision.opens_at.isoformat() if decision.opens_at else None,
            "timezone": display.timezone,
        })
    response.headers["Cache-Control"] = "no-store"
    return response  # CORS for shop domains: server/web/cors.py
