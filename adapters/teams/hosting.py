"""Every botbuilder call peerbot makes, in this one thin module: checking that a request
comes from the Bot Framework, running a turn, and sending, updating and starting
conversations. The rest of adapters/teams works on plain Activity JSON, so moving to the
Microsoft 365 Agents SDK, which speaks the same protocol, would change only this file.

botbuilder fetches signing keys and tokens with blocking `requests` calls that have no
timeout; on peerbot's event loop one slow answer from Microsoft would stop every platform
for minutes. So keys are checked in worker threads, tokens are fetched in threads, and
every call to Microsoft is bounded by a timeout.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, TypeVar

from aiohttp import web
from botbuilder.core import InvokeResponse, TurnContext
from botbuilder.integration.aiohttp import (
    CloudAdapter,
    ConfigurationBotFrameworkAuthentication,
    ConfigurationServiceClientCredentialFactory,
)
from botbuilder.schema import (
    Activity,
    ActivityTypes,
    ChannelAccount,
    ConversationAccount,
    ConversationParameters,
    ConversationReference,
)
from botframework.connector.auth import (
    AppCredentials,
    AuthenticateRequestResult,
    ServiceClientCredentialsFactory,
)
from msrest.exceptions import ClientException, HttpOperationError
from requests import RequestException

from adapters.quiet import silenced
from adapters.refusal import Refused, bounded
from bot.organisation.config import Settings

logger = logging.getLogger(__name__)
T = TypeVar("T")

CHANNEL = "msteams"
MAX_BODY = 512 * 1024
"""An activity is at most about 40 KB; a dialog's answers, every field full, well under this."""
AUTH_WITHIN = 10.0
"""Seconds to check a request's token, keys fetched from Microsoft included."""
TOKEN_WITHIN = 10.0
"""Seconds to get peerbot's own token for sending."""
CALL_WITHIN = 15.0
"""Seconds any one call to the Bot Framework connector may take."""
THREADS = 4
"""Worker threads for botbuilder's blocking key and token fetches."""
QUIET_LOGGERS = ("botbuilder", "botframework", "msrest", "msal")
"""msrest logs whole request and response bodies at DEBUG: people's words, a dialog's form."""
BEARER = re.compile(r"Bearer [A-Za-z0-9._~+/=-]{1,8192}")


class CallFailed(Exception):
    """A call to the Bot Framework that failed: `status` is Microsoft's HTTP answer (None
    when none came: a timeout, a dropped connection, no token), `retry_after` its
    Retry-After in seconds."""

    def __init__(self, status: int | None, retry_after: float | None = None) -> None:
        super().__init__(f"http_{status}" if status is not None else "no answer")
        self.status = status
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class Incoming:
    """A request known to come from the Bot Framework: its activity as sent, and what
    checking its token gave, for the turn."""

    activity: dict[str, Any]
    checked: AuthenticateRequestResult
    parsed: Activity

    @property
    def invoke(self) -> bool:
        return bool(self.activity.get("type") == ActivityTypes.invoke)


@dataclass(frozen=True, slots=True, kw_only=True)
class Reference:
    """A conversation to send to, in plain values."""

    service_url: str
    conversation_id: str
    conversation_type: str
    tenant: str


Turn = Callable[[dict[str, Any]], Awaitable[dict[str, Any] | None]]
"""Peerbot's handling of one activity (its JSON); for an invoke, the body to answer with."""


class Hosting:
    """CloudAdapter with ConfigurationBotFrameworkAuthentication, called directly (never
    `adapter.process`, which answers every invoke with a 500)."""

    def __init__(
        self, settings: Settings, *, credentials: ServiceClientCredentialsFactory | None = None
    ) -> None:
        """`credentials` replaces the settings' own (a test's fixed token)."""
        quiet = silenced(f"{__name__}.libraries", *QUIET_LOGGERS)
        self.app_id = settings.teams_app_id or ""
        self.bot_id = f"28:{self.app_id}" if self.app_id else ""
        self._pool = ThreadPoolExecutor(THREADS, thread_name_prefix="teams-auth")
        config = _Configuration(settings)
        given = credentials or ConfigurationServiceClientCredentialFactory(config, logger=quiet)
        self._auth = ConfigurationBotFrameworkAuthentication(
            config, credentials_factory=_OffLoop(given, self._pool), logger=quiet
        )
        self._adapter = CloudAdapter(self._auth)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    async def authenticate(self, request: web.Request) -> Incoming:
        """The request's activity once its token holds, or Refused.

        No token, a token for another bot, from another issuer, for another service URL,
        expired or malformed: 401, and nothing runs (botbuilder itself answers some of
        these with a 500). The body is read as JSON only to be checked: nothing of it is
        logged.
        """
        if request.content_type != "application/json":
            raise Refused(415, "not JSON")
        raw = await bounded(request, MAX_BODY)
        try:
            body = json.loads(raw)
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise Refused(400, "not JSON") from None
        if not isinstance(body, dict) or not isinstance(body.get("type"), str):
            raise Refused(400, "not an activity")
        header = request.headers.get("Authorization", "")
        if header and not BEARER.fullmatch(header):
            raise Refused(401, "not a bearer token")
        try:
            parsed = Activity().deserialize(body)
        except Exception:  # msrest's own errors, whose text may quote the body
            raise Refused(400, "not an activity") from None

        def check() -> AuthenticateRequestResult:
            """In a worker thread, on a loop of its own: botbuilder's key fetch blocks."""
            return asyncio.run(self._auth.authenticate_request(parsed, header))

        loop = asyncio.get_running_loop()
        try:
            checked = await asyncio.wait_for(loop.run_in_executor(self._pool, check), AUTH_WITHIN)
        except TimeoutError:
            raise Refused(503, "Microsoft's keys did not come in time") from None
        except PermissionError:
            raise Refused(401, "not authorised") from None
        except Exception as exc:  # an expired, malformed or unknown token
            raise Refused(401, f"token refused ({type(exc).__name__})") from None
        return Incoming(activity=body, checked=checked, parsed=parsed)

    async def run(self, incoming: Incoming, turn: Turn) -> dict[str, Any] | None:
        """The turn, through the adapter; for an invoke, the body to answer with."""

        async def on_turn(context: TurnContext) -> None:
            body = await turn(incoming.activity)
            if incoming.invoke:
                answer = InvokeResponse(status=HTTPStatus.OK, body=body)
                await context.send_activity(
                    Activity(type=ActivityTypes.invoke_response, value=answer)
                )

        answered = await self._adapter.process_activity(incoming.checked, incoming.parsed, on_turn)
        body = answered.body if isinstance(answered, InvokeResponse) else None
        return body if isinstance(body, dict) else None

    async def send(self, where: Reference, activity: dict[str, Any]) -> str:
        """A new message in the conversation (never a reply to botbuilder's own stand-in
        for a proactive turn); its activity id, to update it later."""
        sent: list[str] = []

        async def post(context: TurnContext, reference: ConversationReference) -> None:
            outgoing = TurnContext.apply_conversation_reference(
                Activity().deserialize(activity), reference
            )
            (response,) = await context.adapter.send_activities(context, [outgoing])
            sent.append(response.id if response and response.id else "")

        await self._continue(where, post)
        return sent[0] if sent else ""

    async def update(self, where: Reference, activity_id: str, activity: dict[str, Any]) -> None:
        """The message `activity_id` replaced by `activity` (a card by its answer)."""

        async def put(context: TurnContext, reference: ConversationReference) -> None:
            replaced = TurnContext.apply_conversation_reference(
                Activity().deserialize(activity), reference
            )
            replaced.id = activity_id
            await context.adapter.update_activity(context, replaced)

        await self._continue(where, put)

    async def open_personal(self, service_url: str, tenant: str, user_id: str) -> str:
        """Start (or find: Teams gives the same one back) the person's personal chat with
        peerbot, `user_id` their Entra object id (or Teams id); its conversation id."""
        claims = self._adapter.create_claims_identity(self.app_id)
        factory = self._auth.create_connector_factory(claims)
        parameters = ConversationParameters(
            is_group=False,
            bot=ChannelAccount(id=self.bot_id) if self.bot_id else None,
            members=[ChannelAccount(id=user_id)],
            tenant_id=tenant,
            channel_data={"tenant": {"id": tenant}},
        )

        async def create() -> str:
            connector = _bounded(await factory.create(service_url, None))
            created = await connector.conversations.create_conversation(parameters)
            return str(created.id)

        return await _calling(create())

    async def _continue(
        self,
        where: Reference,
        work: Callable[[TurnContext, ConversationReference], Awaitable[None]],
    ) -> None:
        reference = ConversationReference(
            channel_id=CHANNEL,
            service_url=where.service_url,
            conversation=ConversationAccount(
                id=where.conversation_id,
                conversation_type=where.conversation_type,
                tenant_id=where.tenant or None,
                is_group=where.conversation_type != "personal",
            ),
            bot=ChannelAccount(id=self.bot_id) if self.bot_id else None,
        )

        async def bounded(context: TurnContext) -> None:
            _bounded(context.turn_state[self._adapter.BOT_CONNECTOR_CLIENT_KEY])
            await work(context, reference)

        await _calling(
            self._adapter.continue_conversation(reference, bounded, bot_app_id=self.app_id)
        )


class _Configuration:
    """The settings as botbuilder reads them. With no app id (authentication off, for
    trying peerbot locally) botbuilder's anonymous path needs its MultiTenant default;
    peerbot's settings refuse MultiTenant for a real registration."""

    def __init__(self, settings: Settings) -> None:
        password = settings.teams_app_password
        self.APP_ID = settings.teams_app_id or ""
        self.APP_PASSWORD = password.get_secret_value() if password else ""
        self.APP_TYPE = settings.teams_app_type if self.APP_ID else "MultiTenant"
        self.APP_TENANTID = settings.teams_app_tenant_id or ""


class _OffLoop(ServiceClientCredentialsFactory):  # type: ignore[misc]  # botbuilder is untyped
    """The configured credentials, with their tokens fetched in a thread and in time.

    botbuilder asks for a token synchronously, on the event loop, as it signs each
    request (MSAL, blocking). Here the token is fetched first, in a worker thread, bounded
    by TOKEN_WITHIN; the credentials botbuilder signs with then only hand it over. The
    configured credentials are kept, so MSAL's own cache spares most fetches."""

    def __init__(self, inner: ServiceClientCredentialsFactory, pool: ThreadPoolExecutor) -> None:
        self._inner = inner
        self._pool = pool
        self._kept: dict[tuple[str, str, str], AppCredentials] = {}

    async def is_valid_app_id(self, app_id: str) -> bool:
        return bool(await self._inner.is_valid_app_id(app_id))

    async def is_authentication_disabled(self) -> bool:
        return bool(await self._inner.is_authentication_disabled())

    async def create_credentials(
        self, app_id: str, oauth_scope: str, login_endpoint: str, validate_authority: bool
    ) -> AppCredentials:
        key = (app_id, oauth_scope or "", login_endpoint or "")
        credentials = self._kept.get(key)
        if credentials is None:
            credentials = await self._inner.create_credentials(
                app_id, oauth_scope, login_endpoint, validate_authority
            )
            self._kept[key] = credentials
        if await self.is_authentication_disabled():
            return credentials
        loop = asyncio.get_running_loop()
        try:
            token = await asyncio.wait_for(
                loop.run_in_executor(self._pool, credentials.get_access_token), TOKEN_WITHIN
            )
        except Exception as exc:  # a turn is still answered; only sending will fail
            logger.warning("teams: no token for peerbot (%s)", type(exc).__name__)
            token = None
        return _Token(app_id, oauth_scope, token)


class _Token(AppCredentials):  # type: ignore[misc]  # botbuilder is untyped
    """Credentials that sign with a token already fetched (see _OffLoop). Without one, a
    send fails as unauthorised, and the outbox tries it again later; a dialog, answered in
    the HTTP response, needs none."""

    def __init__(self, app_id: str, oauth_scope: str, token: str | None) -> None:
        super().__init__(app_id=app_id, oauth_scope=oauth_scope)
        self._token = token

    def get_access_token(self, force_refresh: bool = False) -> str:
        if self._token is None:
            raise PermissionError("no token for peerbot")
        return self._token


def _bounded(connector: Any) -> Any:
    """A connector that gives up on Microsoft after CALL_WITHIN and never retries by
    itself: the outbox decides when to try again, as Retry-After asks."""
    connector.config.connection.timeout = CALL_WITHIN
    connector.config.retry_policy.retries = 0
    return connector


async def _calling(call: Awaitable[T]) -> T:
    """A call to Microsoft, bounded, its failure said as CallFailed (by status alone:
    botbuilder's errors quote what was sent)."""
    try:
        async with asyncio.timeout(CALL_WITHIN + TOKEN_WITHIN):
            return await call
    except HttpOperationError as exc:
        response = exc.response
        status = getattr(response, "status_code", None)
        headers = getattr(response, "headers", None) or {}
        raise CallFailed(status, _seconds(headers.get("Retry-After"))) from None
    except PermissionError:  # no token for peerbot: its registration or secret is wrong
        raise CallFailed(HTTPStatus.UNAUTHORIZED) from None
    except (ClientException, RequestException, OSError, TimeoutError):
        raise CallFailed(None) from None


def _seconds(value: object) -> float | None:
    try:
        return max(float(str(value)), 0.0) if value is not None else None
    except ValueError:
        return None
