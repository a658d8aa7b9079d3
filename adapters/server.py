"""The aiohttp application: health checks, metrics, the speak-up web form, and each
configured platform's endpoint."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from aiohttp import web

from adapters import health, metrics
from adapters.files import mount as mount_files
from adapters.logs import request_ids
from adapters.runtime import Runtime
from adapters.slack.app import build as build_slack
from adapters.web import mount as mount_web_form
from bot.conversation.inbound import Platform

logger = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def forwarded(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Behind your own reverse proxy, the visitor is the address the proxy saw (the last one
    it appended to X-Forwarded-For) and https is what the proxy says; earlier entries are the
    visitor's own claims and are ignored."""
    seen = request.headers.get("X-Forwarded-For", "").split(",")[-1].strip()
    scheme = request.headers.get("X-Forwarded-Proto", "").split(",")[-1].strip().lower()
    return await handler(
        request.clone(
            remote=seen or request.remote or "",
            scheme=scheme if scheme in {"http", "https"} else request.scheme,
        )
    )


def create_app(runtime: Runtime, *, teams_credentials: Any = None) -> web.Application:
    """Routes plus the runtime's lifecycle: started with the app, drained on shutdown.
    `teams_credentials` replaces the Bot Framework credentials the settings name (a
    test's fixed token; see adapters.teams.hosting)."""
    behind_proxy = runtime.settings.behind_proxy
    app = web.Application(
        middlewares=[
            request_ids(trusted=behind_proxy),
            metrics.counting(runtime.metrics),
            *([forwarded] if behind_proxy else []),
        ]
    )
    health.mount(app, runtime)
    metrics.mount(app, runtime.metrics, runtime.db, runtime.clock)
    # always: the web form is how staff speak up without even their chat app knowing
    mount_web_form(app, runtime)
    slack = build_slack(runtime) if runtime.settings.slack_enabled else None
    if slack is not None:
        runtime.register(Platform.SLACK, slack.sender)
        app.cleanup_ctx.append(slack.pooled)  # before lifecycle: closed after the last send
        if slack.socket is None:
            app.router.add_post("/slack/events", slack.handle)
    teams = None
    if runtime.settings.teams_enabled:
        # Only here: the Bot Framework SDK is some 15 MB of every process's memory, which
        # a server without Teams need not hold.
        from adapters.teams.app import build as build_teams

        teams = build_teams(runtime, credentials=teams_credentials)
    if teams is not None:
        runtime.register(Platform.TEAMS, teams.sender)
        app.router.add_post("/api/messages", teams.handle)
        mount_files(app, teams.links)

    async def lifecycle(_app: web.Application) -> AsyncIterator[None]:
        await runtime.start()
        # What start-up built lives as long as the process: kept out of the collector's
        # full passes, which otherwise scan it all and stall every request for ~50 ms.
        gc.freeze()
        yield
        await runtime.stop()

    app.cleanup_ctx.append(lifecycle)
    # after lifecycle, so unwound before it: what was acknowledged is answered first
    if slack is not None:
        app.cleanup_ctx.append(slack.running)
    if teams is not None:
        app.cleanup_ctx.append(teams.running)
    return app


def app_runner(app: web.Application) -> web.AppRunner:
    """How peerbot serves: with no access log, which would record every visitor's address
    and browser, and so who opened the speak-up form when."""
    return web.AppRunner(app, handle_signals=False, access_log=None)
