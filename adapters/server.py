"""The aiohttp application: the health check, and each configured platform's endpoint."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

from aiohttp import web

from adapters.runtime import Runtime
from adapters.slack.app import build as build_slack
from bot.events import Platform
from storage.engine import DatabaseUnavailable

logger = logging.getLogger(__name__)

RUNTIME = web.AppKey("runtime", Runtime)


async def healthz(request: web.Request) -> web.Response:
    """200 when the database answers; 503 (so a load balancer stops routing here) when not."""
    runtime = request.app[RUNTIME]
    try:
        await runtime.db.ping()
    except DatabaseUnavailable:
        logger.warning("health check: database unavailable")
        return web.json_response({"status": "unavailable", "database": "unreachable"}, status=503)
    return web.json_response({"status": "ok", "database": "ok"})


def create_app(runtime: Runtime) -> web.Application:
    """Routes plus the runtime's lifecycle: started with the app, drained on shutdown."""
    app = web.Application()
    app[RUNTIME] = runtime
    app.router.add_get("/healthz", healthz)
    if runtime.settings.slack_enabled:
        slack = build_slack(runtime)
        runtime.register(Platform.SLACK, slack.sender)
        if slack.socket is None:
            app.router.add_post("/slack/events", slack.handle)
        else:

            async def socket_mode(_app: web.Application) -> AsyncIterator[None]:
                await slack.connect()
                yield
                await slack.close()

            app.cleanup_ctx.append(socket_mode)

    async def lifecycle(_app: web.Application) -> AsyncIterator[None]:
        await runtime.start()
        yield
        await runtime.stop()

    app.cleanup_ctx.append(lifecycle)
    return app
