"""The CSRF cookie: Secure over https, kept while peerbot signed it recently."""

from __future__ import annotations

import ssl
from datetime import UTC, datetime, timedelta

from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from adapters.web import csrf

NOW = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)


def test_the_cookie_is_secure_only_over_https() -> None:
    for context, secure in ((None, False), (ssl.create_default_context(), True)):
        request = make_mocked_request("GET", "/speakup", sslcontext=context)
        response = web.Response()
        csrf.give(response, request, csrf.Tokens(b"k" * 32).issue(NOW))
        header = response.cookies[csrf.COOKIE].OutputString()
        assert ("Secure" in header) is secure
        for flag in ("HttpOnly", "SameSite=Strict", "Path=/speakup"):
            assert flag in header


def test_a_recent_token_peerbot_signed_is_kept_and_anything_else_replaced() -> None:
    tokens = csrf.Tokens(b"k" * 32)
    kept = tokens.issue(NOW)
    request = make_mocked_request("GET", "/speakup", headers={"Cookie": f"{csrf.COOKIE}={kept}"})
    assert tokens.for_page(request, NOW + timedelta(minutes=59)) == kept
    assert tokens.for_page(request, NOW + timedelta(minutes=61)) != kept  # renewed in time
    assert tokens.matches(request, [kept], NOW + timedelta(hours=1, minutes=59))
    assert not tokens.matches(request, [kept], NOW + timedelta(hours=2, seconds=1))
    assert not tokens.matches(request, [kept, kept], NOW)
    assert not tokens.matches(request, ["é" * 43], NOW)
    assert not csrf.Tokens(b"x" * 32).matches(request, [kept], NOW)
    made_up = "A" * 22 + f".{int(NOW.timestamp())}." + "0" * 64
    forged = make_mocked_request("GET", "/speakup", headers={"Cookie": f"{csrf.COOKIE}={made_up}"})
    assert tokens.for_page(forged, NOW) != made_up
    assert not tokens.matches(forged, [made_up], NOW)


def test_a_page_is_handed_back_when_its_token_is_ours_and_the_browser_says_it_is_ours() -> None:
    """Stale: the cookie too old, or gone with the phone's session but the post sent from a
    page of this site. Never for a token peerbot did not sign, nor a post from elsewhere."""
    tokens = csrf.Tokens(b"k" * 32)
    old, fresh = tokens.issue(NOW - timedelta(hours=3)), tokens.issue(NOW)
    forged = "A" * 22 + f".{int(NOW.timestamp())}." + "0" * 64

    def post(cookie: str | None, site: str | None) -> web.Request:
        headers = {"Cookie": f"{csrf.COOKIE}={cookie}"} if cookie else {}
        headers |= {"Sec-Fetch-Site": site} if site else {}
        return make_mocked_request("POST", "/speakup", headers=headers)

    assert tokens.stale(post(old, None), [old])
    assert tokens.stale(post(None, "same-origin"), [old])
    assert tokens.stale(post(None, "same-origin"), [fresh])
    assert not tokens.stale(post(None, None), [fresh])  # no word from the browser
    assert not tokens.stale(post(None, "cross-site"), [fresh])
    assert not tokens.stale(post(None, "same-site"), [fresh])  # another app on a subdomain
    assert not tokens.stale(post(None, "same-origin"), [forged])
    assert not tokens.stale(post(None, "same-origin"), [])
    assert not tokens.stale(post(forged, "same-origin"), [fresh])  # a cookie not ours
