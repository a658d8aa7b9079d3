"""A real browser on a phone-sized screen, JavaScript off: speak up, then come back."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Page, ViewportSize, async_playwright, expect

from bot.features.speakup import WAYS

CHROMIUM = Path("/usr/bin/chromium")
PHONE: ViewportSize = {"width": 360, "height": 740}

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="needs Debian's chromium at /usr/bin/chromium (.ci/run installs it; "
    "Playwright's own browser download does not work here)",
)


async def test_speaking_up_and_checking_back_on_a_phone_without_javascript(base_url: str) -> None:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            context = await browser.new_context(
                java_script_enabled=False, viewport=PHONE, is_mobile=True, has_touch=True
            )
            page = await context.new_page()
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

            receipt = page.locator("code.keep")
            await expect(receipt).to_have_count(2)
            code, phrase = await receipt.nth(0).inner_text(), await receipt.nth(1).inner_text()
            assert code.startswith("SU-") and len(phrase) == 23

            await page.get_by_role("link", name="Back to the start").click()
            await tap(page, "Check a case")
            await page.get_by_label("Case code").fill(code)
            await page.get_by_label("Passphrase").fill(phrase)
            await tap(page, "Check")
            await expect(page.get_by_role("heading", name=f"Case {code}")).to_be_visible()
            await expect(page.get_by_text("Received, waiting for a guardian")).to_be_visible()
        finally:
            await browser.close()


async def tap(page: Page, label: str) -> None:
    """Press a button, checking first that it is a thumb-sized target inside the screen."""
    button = page.get_by_role("button", name=label, exact=True)
    box = await button.bounding_box()
    assert box is not None and box["height"] >= 44 and box["x"] + box["width"] <= PHONE["width"]
    await button.click()
