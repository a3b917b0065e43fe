"""Look at the deployed webserver the way an operator does: headless Chromium through Playwright.

Why the system Chromium (`/usr/bin/chromium`, Debian package `chromium`): Playwright's own browser
download is not reachable from CI, only PyPI and Debian packages are. As root Chromium's sandbox
cannot start, hence `--no-sandbox` (the page is our own local webserver).
Screenshots go to `artifacts` (lake_assets_tests/artifacts/, ignored by git) for a human to check.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
LOCATION_ERROR = re.compile(r"error loading|failed to load|could not load|code location error", re.I)
TIMEOUT_MS = 60_000
GOLD = "gold/route_latency_daily"


def _open(page: Any, url: str) -> str:
    """Go to `url`, dismiss the first-visit community dialog if it shows, return the page text
    (and fail on a code-location error banner)."""
    page.goto(url)
    page.wait_for_load_state("networkidle")
    skip = page.get_by_role("button", name="Skip")
    if skip.count():
        skip.first.click()
    text = str(page.inner_text("body"))
    assert not LOCATION_ERROR.search(text), text[:3000]
    return text


def check_ui(url: str, day: str, artifacts: Path) -> None:
    """Assert that the lineage shows landing -> bronze -> silver -> gold with the assets' names and
    their checks passed, and that a Gold asset's pages show its materialized partition and its
    evaluated checks; no code-location error anywhere."""
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    artifacts.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1800, "height": 1100})
            page.set_default_timeout(TIMEOUT_MS)

            _open(page, f"{url}/asset-groups")  # global lineage: one box per group
            for group in ("landing", "bronze", "silver", "gold"):
                expect(page.get_by_text(group, exact=True).first).to_be_visible()
            page.screenshot(path=str(artifacts / "lineage_groups.png"))

            _open(page, f"{url}/assets/{GOLD}?view=lineage&lineageScope=upstream&lineageDepth=4")
            for name in ("api_logs", "api_requests", "route_latency_daily"):
                expect(page.get_by_text(name, exact=True).first).to_be_visible()
            expect(page.get_by_text(re.compile(r"^(\d+) / \1 Passed$")).first).to_be_visible()
            text = str(page.inner_text("body"))
            order = [text.find(f"\n{group}\n") for group in ("landing", "bronze", "silver", "gold")]
            assert -1 not in order, text[:3000]
            page.screenshot(path=str(artifacts / "lineage_gold_upstream.png"))

            _open(page, f"{url}/assets/{GOLD}?view=partitions")
            expect(page.get_by_text(day, exact=True).first).to_be_visible()
            expect(page.get_by_text(re.compile(r"^Materialized \([1-9]\d*\)$")).first).to_be_visible()
            page.screenshot(path=str(artifacts / "gold_partitions.png"))

            _open(page, f"{url}/assets/{GOLD}?view=checks")
            for check in ("silver_reconciliation", "unique_key", "not_null"):
                expect(page.get_by_text(check, exact=True).first).to_be_visible()
            expect(page.get_by_text(re.compile(r"^Passed$|^Succeeded$", re.I)).first).to_be_visible()
            text = str(page.inner_text("body"))
            assert "Not Evaluated" not in text and not re.search(r"\bFailed\b", text), text[:3000]
            page.screenshot(path=str(artifacts / "gold_checks.png"))
        finally:
            browser.close()
