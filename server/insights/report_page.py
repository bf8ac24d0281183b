"""The latest weekly report as a page for supervisors: ``POST /supervisor/report``.

The supervisor view links to it with a form (``target=_blank``) that posts the agent token and
the language, so the token travels in the body, never in a URL (URLs end up in histories,
proxies' logs and Referer headers). The report is the whole ISO week before today, computed from
the store like the scheduled one and rendered in Swedish or English
(``server/report/render.py``); it is a self-contained page with inline styles and SVG and no
script, so it gets its own Content-Security-Policy that allows exactly that. Each read is
recorded in the access log (``weekly_report_read``).
"""

from __future__ import annotations

import asyncio
import html

from aiohttp import web

from ..core.kpi import previous_week
from ..report import texts
from ..report.build import build_report, load
from ..report.render import render_html
from ..security.tokens import InvalidToken, check_version
from ..web.keys import SERVICES

ROLE = "supervisor"
#: the report page may style itself inline and show its inline SVG; nothing else, no script
REPORT_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
              "form-action 'none'; frame-ancestors 'none'")
#: longest token accepted in the form (a signed agent token is about 100 characters)
MAX_TOKEN_CHARS = 1000

_REFUSED = {
    "sv": {401: "Logga in i översiktsvyn igen och öppna rapporten därifrån.",
           403: "Veckorapporten kräver rollen supervisor."},
    "en": {401: "Sign in to the supervisor view again and open the report from there.",
           403: "The weekly report needs the supervisor role."},
}


def _refusal(status: int, language: str, detail: str) -> web.Response:
    text = _REFUSED[language][status]
    body = (f'<!doctype html><html lang="{language}"><head><meta charset="utf-8">'
            f"<title>Helpwire</title></head><body><main><h1>{html.escape(text)}</h1>"
            f"<p>{html.escape(detail)}</p></main></body></html>")
    return web.Response(status=status, text=body, content_type="text/html",
                        headers={"Content-Security-Policy": REPORT_CSP, "Cache-Control": "no-store"})


async def weekly_report(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    form = await request.post()
    raw_language = form.get("lang")
    language = texts.language_of(raw_language if isinstance(raw_language, str) else None)
    token = form.get("token")
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_CHARS:
        return _refusal(401, language, "not_authenticated")
    try:
        claims = services.signer.agent_claims(token)
        agent = await services.agents.by_id(claims.agent_id)
        if agent is not None:
            check_version(claims, agent.token_version)
    except InvalidToken as error:
        return _refusal(401, language, error.code)
    if agent is None or ROLE not in agent.roles:
        return _refusal(403, language, "forbidden")
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
