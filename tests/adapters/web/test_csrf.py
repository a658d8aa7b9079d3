"""The CSRF cookie: Secure over https, and a kept token survives while it is well formed."""

from __future__ import annotations

import ssl

from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from adapters.web import csrf


def test_the_cookie_is_secure_only_over_https() -> None:
    for context, secure in ((None, False), (ssl.create_default_context(), True)):
        request = make_mocked_request("GET", "/speakup", sslcontext=context)
        response = web.Response()
        csrf.give(response, request, csrf.token(request))
        header = response.cookies[csrf.COOKIE].OutputString()
        assert ("Secure" in header) is secure
        for flag in ("HttpOnly", "SameSite=Strict", "Path=/speakup"):
            assert flag in header


def test_a_well_formed_token_is_kept_and_anything_else_replaced() -> None:
    kept = "k" * 43
    request = make_mocked_request("GET", "/speakup", headers={"Cookie": f"{csrf.COOKIE}={kept}"})
    assert csrf.token(request) == kept
    forged = make_mocked_request("GET", "/speakup", headers={"Cookie": f"{csrf.COOKIE}=short"})
    assert csrf.token(forged) != "short"
    assert csrf.matches(request, [kept])
    assert not csrf.matches(request, [kept, kept])
    assert not csrf.matches(request, ["é" * 43])
