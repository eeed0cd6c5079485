"""The demo report (`runlab demo`) in headless Chromium: on a 390 px phone the page does not
scroll sideways, every chart is drawn whole within the page's width, wide tables scroll in
their own box; nothing is fetched from off the machine and the console stays clean."""

from urllib.parse import urlparse

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def demo_report(tmp_path_factory):
    from runlab.demo import run_demo

    return run_demo(tmp_path_factory.mktemp("report")).report


def open_report(browser, path, width):
    context = browser.new_context(viewport={"width": width, "height": 844})
    offsite, console = [], []

    def guard(route):
        url = urlparse(route.request.url)
        if url.scheme in {"http", "https"} and url.hostname not in {"127.0.0.1", "localhost"}:
            offsite.append(route.request.url)
            return route.abort()
        return route.continue_()

    context.route("**/*", guard)
    page = context.new_page()
    page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: console.append(str(exc)))
    page.goto(path.as_uri())
    charts = page.locator("div.chart")
    n = charts.count()
    assert n >= 9
    for i in range(n):  # every chart drawn
        charts.nth(i).locator("svg.marks").wait_for(state="visible", timeout=30_000)
    return context, page, offsite, console


def boxes(page, selector):
    """(box width, content width, overflow-x) of each element matching ``selector``."""
    return page.evaluate(
        f"[...document.querySelectorAll('{selector}')].map(e => [e.clientWidth, "
        "e.scrollWidth, getComputedStyle(e).overflowX])")


def test_demo_report_on_a_phone(browser, demo_report, artifacts_dir):
    context, page, offsite, console = open_report(browser, demo_report, 390)
    try:
        assert page.evaluate("document.scrollingElement.scrollWidth") <= 390
        # each chart shrinks to the page (SVG, sharp when zoomed), not cut at its right edge
        for i, right in enumerate(page.evaluate(
                "[...document.querySelectorAll('div.chart svg.marks')]"
                ".map(s => s.getBoundingClientRect().right)")):
            assert right <= 390, f"chart {i} ends at {right:.0f} px on a 390 px page"
        # wide tables scroll sideways inside their box
        tables = boxes(page, "div.table")
        wide = [i for i, (box, content, _) in enumerate(tables) if content > box + 1]
        assert wide, "the demo's wide tables (weekly summary, models) should need scrolling"
        assert all(tables[i][2] == "auto" for i in wide)
        first = page.locator("div.table").nth(wide[0])
        first.evaluate("e => { e.scrollLeft = 200; }")
        assert first.evaluate("e => e.scrollLeft") > 0
        assert page.evaluate("window.scrollX") == 0
        page.screenshot(path=artifacts_dir / "report_phone.png", full_page=True)
        assert not offsite, f"requests left the machine: {offsite}"
        assert not console, f"console errors: {console}"
    finally:
        context.close()


def test_demo_report_on_a_desktop(browser, demo_report, artifacts_dir):
    context, page, offsite, console = open_report(browser, demo_report, 1280)
    try:
        assert page.evaluate("document.scrollingElement.scrollWidth") <= 1280
        widths = page.evaluate("[...document.querySelectorAll('div.chart svg.marks')]"
                               ".map(s => s.getBoundingClientRect().width)")
        assert min(widths) > 390  # drawn at their own size, not shrunk, where there is room
        page.screenshot(path=artifacts_dir / "report_desktop.png", full_page=True)
        assert not offsite and not console, (offsite, console)
    finally:
        context.close()
