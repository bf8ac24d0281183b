"""Typed keys for what the application object carries."""

from __future__ import annotations

from aiohttp import web

from ..services import Services
from ..settings import Settings

SETTINGS: web.AppKey[Settings] = web.AppKey("settings", Settings)
SERVICES: web.AppKey[Services] = web.AppKey("services", Services)
