"""The latest weekly report as a page for supervisors: ``POST /supervisor/report``.

The supervisor view links to it with a form (``target=_blank``) that posts the agent token and
the language, so the token travels in the body, never in a URL (URLs end up in histories,
proxies' logs and Referer headers). The report is the whole ISO week before today, computed from
the store like the scheduled one and rendered in Swedish or English
(``server/report/render.py``); it is a self-contained page with inline styles and SVG and no
script, so it gets its own Content-Security-Policy that allows exactly that. Errors are JSON
like every endpoint's. Each read is recorded in the access log (``weekly_report_read``).
"""

from __future__ import annotations

import asyncio

from aiohttp import web

from ..core.kpi import previous_week
from ..report import texts
from ..report.build import build_report, load
from ..report.render import render_html
from ..security.tokens import InvalidToken, check_version
from ..web.errors import error_response
from ..web.keys import SERVICES

ROLE = "supervisor"
#: the report page may style itself inline and show its inline SVG; nothing else, no script
REPORT_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
              "form-action 'none'; frame-ancestors 'none'")
#: longest token accepted in the form (a signed agent token is about 100 characters)
MAX_TOKEN_CHARS = 1000

_NO_TOKEN = "post the agent token of POST /api/agent/login as the form field token"
_NO_ROLE = ("the weekly report needs the supervisor role "
            "(python -m server create-agent NAME --role supervisor)")


async def weekly_report(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    form = await request.post()
    raw_language = form.get("lang")
    language = texts.language_of(raw_language if isinstance(raw_language, str) else None)
    token = form.get("token")
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_CHARS:
        return error_response(401, "not_authenticated", _NO_TOKEN)
    try:
        claims = services.signer.agent_claims(token)
        agent = await services.agents.by_id(claims.agent_id)
        if agent is not None:
            check_version(claims, agent.token_version)
    except InvalidToken as error:
        return error_response(401, error.code, error.message)
    if agent is None or ROLE not in agent.roles:
        return error_response(403, "forbidden", _NO_ROLE)
    settings = services.settings
    now = services.engine.clock.now()
    period = previous_week(now, settings.reports.timezone)
    data = await load(services.analytics, period, settings)
    report = build_report(data, period, settings, now)
    # matplotlib is CPU work: keep the event loop free
    page = await asyncio.to_thread(render_html, report, language)
    await services.privacy.access_log.record("supervisor", agent.id, "weekly_report_read",
                                             reason=period.label)
    return web.Response(text=page, content_type="text/html",
                        headers={"Content-Security-Policy": REPORT_CSP, "Cache-Control": "no-store",
                                 "Content-Language": language})
