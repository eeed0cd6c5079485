"""The coach dashboard in headless Chromium: slider → zone text and chart; journal → file."""

import pytest

pytestmark = pytest.mark.browser


def assert_no_offsite_scripts(offsite_requests):
    scripts = [url for kind, url in offsite_requests if kind == "script"]
    assert not scripts, f"the page wanted JavaScript from off this machine: {scripts}"


def test_coach_dashboard(page, expect, voila_url, coach_files, offsite_requests,
                         artifacts_dir):
    expect.set_options(timeout=30_000)  # each step waits on the kernel; CI machines are busy
    page.goto(voila_url)
    zone = page.locator(".runlab-zone")
    expect(zone).to_contain_text("habitual", timeout=120_000)  # kernel start + notebook run
    expect(page.locator(".runlab-cadence-tuner .vega-embed .marks")).to_be_visible(
        timeout=60_000)
    page.screenshot(path=artifacts_dir / "coach_initial.png", full_page=True)
    before_zone = zone.inner_text()
    labels = page.locator(".runlab-cadence-tuner .vega-embed .mark-text text")
    before_chart = labels.all_text_contents()  # "habitual 170", "target 179" drawn by vega
    assert any(t.startswith("target") for t in before_chart)

    # the boost slider: keyboard steps are exact (one per press)
    handle = page.locator(".runlab-boost .noUi-handle")
    handle.focus()
    for _ in range(5):
        handle.press("ArrowRight")
    expect(page.locator(".runlab-boost .widget-readout")).to_have_text("10")
    expect(zone).to_contain_text("+10 %")  # round trip through the kernel
    after_zone = zone.inner_text()
    assert after_zone != before_zone
    expect(labels).not_to_have_text(before_chart)  # the chart was redrawn with the new target
    assert labels.all_text_contents()[0] == before_chart[0]  # same habitual cadence
    expect(page.locator(".runlab-step-length")).to_contain_text("-9.1 %")
    page.locator(".runlab-cadence-tuner").screenshot(path=artifacts_dir / "coach_tuner.png")

    # a journal entry through the form lands in the file
    form = page.locator(".runlab-journal-form")
    form.locator(".runlab-journal-comfort select").select_option(label="4 comfortable")
    form.locator(".runlab-journal-rpe select").select_option(label="3")
    form.locator(".runlab-journal-foot-strike select").select_option(label="midfoot")
    form.locator(".runlab-journal-humidity-pct input").fill("62")
    form.locator(".runlab-journal-notes textarea").fill("browser test: quiet feet felt easy")
    form.locator(".runlab-journal-save").click()
    expect(form.locator(".runlab-journal-status")).to_contain_text("saved", timeout=30_000)
    form.screenshot(path=artifacts_dir / "coach_journal.png")
    text = coach_files["journal"].read_text()
    assert "browser test: quiet feet felt easy" in text and ",midfoot," in text

    import runlab

    row = runlab.read_journal(coach_files["journal"]).row(-1, named=True)
    assert (row["comfort"], row["rpe"], row["foot_strike"], row["humidity_pct"]) == (
        4, 3, "midfoot", 62.0)

    explorer = page.locator(".runlab-cohort-explorer")
    expect(explorer.locator(".vega-embed .marks")).to_have_count(2)
    explorer.scroll_into_view_if_needed()
    page.screenshot(path=artifacts_dir / "coach_cohort.png")
    builder = page.locator(".runlab-plan-builder")
    expect(builder.locator(".runlab-plan-summary")).to_contain_text("sessions")
    builder.scroll_into_view_if_needed()
    page.screenshot(path=artifacts_dir / "coach_plan.png")
    page.screenshot(path=artifacts_dir / "coach_dashboard.png", full_page=True)
    assert_no_offsite_scripts(offsite_requests)
