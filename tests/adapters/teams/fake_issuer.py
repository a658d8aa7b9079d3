"""A fake Bot Framework token issuer on loopback: its own RSA key, OpenID metadata and a JWKS,
served from a thread of its own (botbuilder fetches keys with blocking calls), and tokens
signed as the Bot Framework signs them. Also peerbot's outbound credentials, with a fixed
token, so no test ever asks Microsoft for one."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from botframework.connector.auth import (
    AppCredentials,
    ChannelValidation,
    ServiceClientCredentialsFactory,
)
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

APP_ID = "11111111-2222-3333-4444-555555555555"
ISSUER = "https://api.botframework.com"
OUTBOUND = "Bearer peerbot-outbound-token"


def _key() -> tuple[rsa.RSAPrivateKey, dict[str, Any]]:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public: dict[str, Any] = json.loads(RSAAlgorithm.to_jwk(private.public_key()))
    return private, public


@dataclass
class Issuer:
    url: str
    private: rsa.RSAPrivateKey
    kid: str = "peerbot-test-key"
    stranger: rsa.RSAPrivateKey | None = None

    def token(self, service_url: str, **claims: Any) -> str:
        """`Bearer <jwt>` as the Bot Framework sends it; `claims` override its own."""
        now = int(time.time())
        body = {
            "iss": ISSUER,
            "aud": APP_ID,
            "serviceurl": service_url,
            "nbf": now - 60,
            "exp": now + 3600,
            **claims,
        }
        signed = jwt.encode(body, self.private, algorithm="RS256", headers={"kid": self.kid})
        return f"Bearer {signed}"

    def forged(self, service_url: str) -> str:
        """A token with every claim right, signed by a key the issuer never published."""
        stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        now = int(time.time())
        body = {"iss": ISSUER, "aud": APP_ID, "serviceurl": service_url, "exp": now + 3600}
        signed = jwt.encode(body, stranger, algorithm="RS256", headers={"kid": self.kid})
        return f"Bearer {signed}"


@contextmanager
def fake_issuer(*, delay: float = 0.0) -> Iterator[Issuer]:
    """The issuer, its metadata set as botbuilder's channel metadata for the duration;
    `delay` seconds before each answer (a slow Microsoft)."""
    private, public = _key()
    public |= {"kid": "peerbot-test-key", "use": "sig", "endorsements": ["msteams"]}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            time.sleep(delay)
            port = self.server.server_address[1]
            if self.path == "/metadata":
                body = {"issuer": ISSUER, "jwks_uri": f"http://127.0.0.1:{port}/keys"}
            else:
                body = {"keys": [public]}
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/metadata"
    before = ChannelValidation.open_id_metadata_endpoint
    ChannelValidation.open_id_metadata_endpoint = url
    try:
        yield Issuer(url=url, private=private)
    finally:
        ChannelValidation.open_id_metadata_endpoint = before
        server.shutdown()
        server.server_close()


class FixedToken(AppCredentials):  # type: ignore[misc]  # botbuilder is untyped
    def get_access_token(self, force_refresh: bool = False) -> str:
        return OUTBOUND.removeprefix("Bearer ")


class FixedCredentials(ServiceClientCredentialsFactory):  # type: ignore[misc]
    """peerbot's own credentials for sending, with a fixed token: never a call to Microsoft."""

    async def is_valid_app_id(self, app_id: str) -> bool:
        return app_id == APP_ID

    async def is_authentication_disabled(self) -> bool:
        return False

    async def create_credentials(
        self, app_id: str, oauth_scope: str, login_endpoint: str, validate_authority: bool
    ) -> AppCredentials:
        return FixedToken(app_id=app_id, oauth_scope=oauth_scope)


class RefusedToken(AppCredentials):  # type: ignore[misc]
    def get_access_token(self, force_refresh: bool = False) -> str:
        raise PermissionError("Failed to get access token with error: invalid_client")


class LoginDown(FixedCredentials):
    """peerbot's own credentials when Microsoft's login refuses it (a revoked secret)."""

    async def create_credentials(
        self, app_id: str, oauth_scope: str, login_endpoint: str, validate_authority: bool
    ) -> AppCredentials:
        return RefusedToken(app_id=app_id, oauth_scope=oauth_scope)
