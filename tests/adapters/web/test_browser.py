"""A real browser on a phone-sized screen, JavaScript off: speak up, then come back. Every page
the form can show is checked with axe-core, the engine behind most accessibility audits."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Page, ViewportSize, async_playwright, expect

from adapters.runtime import Runtime
from bot.speakup import casework
from bot.speakup.reporter import WAYS
from tests.adapters.database_lock import locked
from tests.adapters.web.test_form import GUARDIAN
from tests.fakes import FakeClock

CHROMIUM = Path("/usr/bin/chromium")
PHONE: ViewportSize = {"width": 360, "height": 740}
AXE = Axe()
"""axe-core as the package bundles it: the pages under test never fetch anything remote."""

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="needs Debian's chromium at /usr/bin/chromium (.ci/run installs it; "
    "Playwright's own browser download does not work here)",
)


async def test_speaking_up_and_checking_back_on_a_phone_without_javascript(base_url: str) -> None:
    async with phone(javascript=False) as page:
        await page.goto(f"{base_url}/speakup")
        await expect(page.get_by_role("heading", level=1)).to_have_text("Speak up")
        await tap(page, "Start")

        await page.get_by_label("What happened?").fill("No induction for agency staff on nights")
        await page.get_by_label("Where and when?").fill("Ward 9, most nights this month")
        await page.get_by_label("Worker safety or wellbeing").check()
        await page.get_by_label(WAYS[0].label).check()
        await tap(page, "Send")
        await expect(page.get_by_text("Nothing has been sent yet.")).to_be_visible()
        await expect(page.get_by_label("Where and when?")).to_have_value(
            "Ward 9, most nights this month"
        )
        await tap(page, "Send")  # the answers checked

        receipt = page.locator("code.keep")
        await expect(receipt).to_have_count(2)
        code, phrase = await receipt.nth(0).inner_text(), await receipt.nth(1).inner_text()
        assert code.startswith("SU-") and len(phrase) == 23
        # each whole on one line and inside the screen: the short code's height is a line
        boxes = [await receipt.nth(n).bounding_box() for n in (0, 1)]
        assert boxes[0] is not None and boxes[1] is not None
        assert abs(boxes[1]["height"] - boxes[0]["height"]) < 1
        assert all(b["x"] >= 0 and b["x"] + b["width"] <= PHONE["width"] for b in boxes)

        await page.get_by_role("link", name="Back to the start").click()
        await tap(page, "Check a case")
        await page.get_by_label("Case code").fill(code)
        await page.get_by_label("Passphrase").fill(phrase)
        await tap(page, "Check")
        await expect(page.get_by_role("heading", name=f"Case {code}")).to_be_visible()
        await expect(page.get_by_text("Received, waiting for a guardian")).to_be_visible()


async def test_every_page_passes_axe_and_start_is_on_the_first_screen(base_url: str) -> None:
    """axe runs as a script in the page, so this browser has JavaScript on; the pages have
    none of their own, so they are the same pages as above."""
    async with phone(javascript=True) as page:
        fetched: list[str] = []
        page.on("request", lambda request: fetched.append(request.url))
        await page.goto(f"{base_url}/speakup")
        await accessible(page, "start")
        start = await page.get_by_role("button", name="Start", exact=True).bounding_box()
        assert start is not None and start["y"] + start["height"] <= PHONE["height"], (
            f"the Start button is below the fold of a {PHONE} phone screen: {start}"
        )
        await tap(page, "Start")
        await accessible(page, "raise")
        await page.get_by_label("What happened?").fill("   ")  # the browser lets it by
        await page.get_by_label(WAYS[0].label).check()
        await tap(page, "Send")
        await expect(
            page.get_by_role("link", name="Please fill in “What happened?”")
        ).to_be_visible()
        await accessible(page, "raise, with errors")
        await page.get_by_label("What happened?").fill("No induction for agency staff")
        await tap(page, "Send")
        await expect(page.get_by_text("Nothing has been sent yet.")).to_be_visible()
        await accessible(page, "check your answers")
        await tap(page, "Send")
        receipt = page.locator("code.keep")
        await expect(receipt).to_have_count(2)
        code, phrase = await receipt.nth(0).inner_text(), await receipt.nth(1).inner_text()
        await accessible(page, "receipt")

        await page.get_by_role("link", name="Back to the start").click()
        await tap(page, "Check a case")
        await accessible(page, "lookup")
        await page.get_by_label("Case code").fill(code)
        await page.get_by_label("Passphrase").fill("WRONG-WRONG-WRONG-WRONG")
        await tap(page, "Check")
        await expect(page.get_by_text("We could not open a case")).to_be_visible()
        await accessible(page, "could not open")

        await page.get_by_role("link", name="Back to the start").click()
        await tap(page, "Check a case")
        await page.get_by_label("Case code").fill(code)
        await page.get_by_label("Passphrase").fill(phrase)
        await tap(page, "Check")
        await expect(page.get_by_role("heading", name=f"Case {code}")).to_be_visible()
        await accessible(page, "a case")
        await tap(page, "Add something")
        await accessible(page, "add to a case")

        await page.get_by_label("What would you like to add?").fill("It happened again")
        await page.context.clear_cookies()  # a phone browser drops its session cookies
        await tap(page, "Send")
        await expect(page.get_by_text("This page was open a long time")).to_be_visible()
        await expect(page.get_by_label("What would you like to add?")).to_have_value(
            "It happened again"
        )
        await accessible(page, "handed back without its cookie")
        assert all(url.startswith(f"{base_url}/speakup") for url in fetched), fetched


async def test_the_pages_of_coming_back_pass_axe(base_url: str, runtime: Runtime) -> None:
    """A case added to, left open too long, paused after too many tries, and closed with
    its question: the pages of coming back that the walk above does not reach."""
    clock = runtime.clock
    assert isinstance(clock, FakeClock) and runtime.sealer is not None
    async with phone(javascript=True) as page:
        code, phrase = await speak_up(page, base_url)
        await check_case(page, base_url, code, phrase)
        await tap(page, "Add something")
        await page.get_by_label("What would you like to add?").fill("It happened again")
        await tap(page, "Send")
        await expect(page.get_by_text("Added to your case")).to_be_visible()
        await accessible(page, "added to your case")

        await check_case(page, base_url, code, phrase)
        await tap(page, "Add something")
        await page.get_by_label("What would you like to add?").fill("And again")
        clock.advance(hours=3)  # the night shift got busy
        await tap(page, "Send")
        await expect(page.get_by_text("This page was open a long time")).to_be_visible()
        await accessible(page, "open a long time")

        for _ in range(5):
            await check_case(page, base_url, code, "WRONG-WRONG-WRONG-WRONG")
        await check_case(page, base_url, code, phrase)
        await expect(page.get_by_text("checking is paused for")).to_be_visible()
        await accessible(page, "tries are paused")

        clock.advance(hours=1)
        async with runtime.db.session() as session:
            await casework.close(
                session,
                GUARDIAN,
                code,
                "Agency staff now have an induction on nights.",
                "",
                sealer=runtime.sealer,
                now=clock.now(),
            )
        await check_case(page, base_url, code, phrase)
        await expect(page.get_by_text("Closed", exact=True)).to_be_visible()
        await accessible(page, "a closed case")
        await tap(page, "Would you speak up again?")
        await accessible(page, "feedback")
        await page.get_by_label("Yes").check()
        await tap(page, "Send")
        await expect(page.get_by_role("heading", name="Thank you")).to_be_visible()
        await accessible(page, "feedback given")


async def test_the_pages_for_when_something_goes_wrong_pass_axe(
    base_url: str, runtime: Runtime
) -> None:
    """The database busy, a post no page of ours sends, an expired token, no such page and
    a method the form does not take: each is a page of ours, as accessible as the rest."""
    async with phone(javascript=True) as page:
        await raise_page(page, base_url)
        await tap(page, "Send")
        await expect(page.get_by_text("Nothing has been sent yet.")).to_be_visible()
        async with locked(runtime):
            await tap(page, "Send")
            await expect(page.locator("#f-what-error")).to_contain_text("couldn't save")
        await accessible(page, "could not save")

        await raise_page(page, base_url)
        await hidden(page, "_form", "speakup.nope")
        await tap(page, "Send")
        await expect(page.get_by_role("heading", name="That did not work")).to_be_visible()
        await accessible(page, "400")

        await raise_page(page, base_url)
        await hidden(page, "_csrf", "not-a-token")
        await tap(page, "Send")
        await expect(page.get_by_role("heading", name="This page has expired")).to_be_visible()
        await accessible(page, "403")

        missing = await page.goto(f"{base_url}/speakup/nothing-here")
        assert missing is not None and missing.status == 404
        await accessible(page, "404")

        await raise_page(page, base_url)
        await page.locator("form:has([name=_submission])").evaluate(
            "form => form.setAttribute('action', '/speakup/style.css')"
        )
        async with page.expect_response(f"{base_url}/speakup/style.css") as answer:
            await tap(page, "Send")
        assert (await answer.value).status == 405
        await expect(page.get_by_role("heading", name="That did not work")).to_be_visible()
        await accessible(page, "405")


async def speak_up(page: Page, base_url: str) -> tuple[str, str]:
    """Speak up anonymously: the case code and passphrase."""
    await raise_page(page, base_url)
    await tap(page, "Send")
    await expect(page.get_by_text("Nothing has been sent yet.")).to_be_visible()
    await tap(page, "Send")
    receipt = page.locator("code.keep")
    await expect(receipt).to_have_count(2)
    return await receipt.nth(0).inner_text(), await receipt.nth(1).inner_text()


async def raise_page(page: Page, base_url: str) -> None:
    """The speak-up form, filled in and not yet sent."""
    await page.goto(f"{base_url}/speakup")
    await tap(page, "Start")
    await page.get_by_label("What happened?").fill("No induction for agency staff")
    await page.get_by_label(WAYS[0].label).check()


async def check_case(page: Page, base_url: str, code: str, phrase: str) -> None:
    await page.goto(f"{base_url}/speakup")
    await tap(page, "Check a case")
    await page.get_by_label("Case code").fill(code)
    await page.get_by_label("Passphrase").fill(phrase)
    await tap(page, "Check")


async def hidden(page: Page, name: str, value: str) -> None:
    """What no page of ours sends: a hidden field of the page's form changed."""
    field = page.locator(f"form:has([name=_submission]) input[name={name}]")
    await field.evaluate("(input, value) => { input.value = value }", value)


@asynccontextmanager
async def phone(*, javascript: bool) -> AsyncIterator[Page]:
    """A page in Debian's chromium on a phone-sized touch screen; the browser goes after."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            context = await browser.new_context(
                java_script_enabled=javascript, viewport=PHONE, is_mobile=True, has_touch=True
            )
            yield await context.new_page()
        finally:
            await browser.close()


async def accessible(page: Page, name: str) -> None:
    """No axe-core violation at all, of any impact."""
    results = await AXE.run(page)
    assert results.violations_count == 0, f"{name}: {results.generate_report()}"


async def tap(page: Page, label: str) -> None:
    """Press a button, checking first that it is a thumb-sized target inside the screen."""
    button = page.get_by_role("button", name=label, exact=True)
    box = await button.bounding_box()
    assert box is not None and box["height"] >= 44 and box["x"] + box["width"] <= PHONE["width"]
    await button.click()
