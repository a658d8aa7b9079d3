"""What a load balancer or an orchestrator asks: /healthz (is the process alive and can it
reach its database) and /readyz (should requests be sent here: the database answers and its
schema is what this code needs)."""

from __future__ import annotations

import logging

from aiohttp import web

from adapters.runtime import Runtime
from storage.engine import BUSY, DatabaseUnavailable
from storage.migrate import MigrationsPending, check_current

logger = logging.getLogger(__name__)

TEAMS_UNCHECKED = "authentication off: for trying peerbot locally only"
UNREACHABLE = "not ready: the database cannot be reached"


def mount(app: web.Application, runtime: Runtime) -> None:
    settings = runtime.settings

    async def healthz(_request: web.Request) -> web.Response:
        """200 when the database answers; 503 (so a load balancer stops routing here) when
        not. Teams running with authentication off is said here too, where monitoring
        looks."""
        teams = (
            {"teams": TEAMS_UNCHECKED}
            if settings.teams_enabled and not settings.teams_authenticated
            else {}
        )
        try:
            await runtime.db.ping()
        except DatabaseUnavailable:
            logger.warning("health check: database unavailable")
            return web.json_response(
                {"status": "unavailable", "database": "unreachable", **teams}, status=503
            )
        return web.json_response({"status": "ok", "database": "ok", **teams})

    async def readyz(_request: web.Request) -> web.Response:
        """200 "ready", or 503 with one line saying why not. A replica started on a new
        release before `peerbot db upgrade` ran stays out of rotation until it has, rather
        than fail mid-conversation on a column that is not there yet. The reason never
        names the database's address: this page may be reachable from outside."""
        try:
            await runtime.db.ping()
            await check_current(runtime.db.engine)
        except MigrationsPending as exc:
            return _not_ready(f"not ready: {exc}")
        except BUSY as exc:  # a lost connection between the two checks is BUSY too
            logger.warning("readiness check: database unavailable (%s)", type(exc).__name__)
            return _not_ready(UNREACHABLE)
        return web.Response(text="ready\n")

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)


def _not_ready(reason: str) -> web.Response:
    return web.Response(status=503, text=reason + "\n")
