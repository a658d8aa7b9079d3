"""A real browser on a phone-sized screen, JavaScript off: speak up, then come back. Every page
the form can show is checked with axe-core, the engine behind most accessibility audits."""

from __future__ import annotations

from pathlib import Path

import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, Page, ViewportSize, async_playwright, expect

from bot.speakup.reporter import WAYS

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
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            page = await _phone(browser, javascript=False)
            await page.goto(f"{base_url}/speakup")
            await expect(page.get_by_role("heading", level=1)).to_have_text("Speak up")
            await tap(page, "Start")

            await page.get_by_label("What happened?").fill(
                "No induction for agency staff on nights"
            )
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
        finally:
            await browser.close()


async def test_every_page_passes_axe_and_start_is_on_the_first_screen(base_url: str) -> None:
    """axe runs as a script in the page, so this browser has JavaScript on; the pages have
    none of their own, so they are the same pages as above."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            page = await _phone(browser, javascript=True)
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
            await page.context.clear_cookies()
            await tap(page, "Send")
            await expect(page.get_by_role("heading", name="This page has expired")).to_be_visible()
            await accessible(page, "expired")
            assert all(url.startswith(f"{base_url}/speakup") for url in fetched), fetched
        finally:
            await browser.close()


async def _phone(browser: Browser, *, javascript: bool) -> Page:
    context = await browser.new_context(
        java_script_enabled=javascript, viewport=PHONE, is_mobile=True, has_touch=True
    )
    return await context.new_page()


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
