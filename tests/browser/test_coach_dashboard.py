"""The coach dashboard in headless Chromium: squad → tuner, pace slider → one target,
journal refusals and saves, nothing off the machine, no console errors, a 390 px phone."""

import re

import pytest

pytestmark = pytest.mark.browser

ZONE = re.compile(r"target (\d+) \(zone (\d+)–(\d+) steps/min")


def watch_console(page):
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return errors


def zone_numbers(text):
    found = ZONE.search(text.replace("<b>", "").replace("</b>", ""))
    assert found, text
    return tuple(int(v) for v in found.groups())


def check_target_agrees(page, expect):
    """The zone text and the chart's target label name the same numbers."""
    target, lo, hi = zone_numbers(page.locator(".runlab-zone").inner_text())
    label = page.locator(".runlab-cadence-tuner .vega-embed .mark-text text").filter(
        has_text="target")
    expect(label).to_have_text(f"target {target} ({lo}–{hi})")
    return target, lo, hi


def test_coach_dashboard(page, expect, voila_url, coach_files, offsite_requests,
                         artifacts_dir):
    expect.set_options(timeout=30_000)  # each step waits on the kernel; CI machines are busy
    console = watch_console(page)
    page.goto(voila_url)
    squad = page.locator(".runlab-squad-table")
    expect(squad.locator("tbody tr").first).to_be_visible(timeout=120_000)  # kernel + notebook
    page.screenshot(path=artifacts_dir / "coach_squad.png", full_page=True)

    # the squad table sorts ...
    rows = squad.locator("tbody tr")
    by_name = [rows.nth(i).get_attribute("data-runner") for i in range(rows.count())]
    assert by_name == sorted(by_name)
    page.locator(".runlab-squad-sort select").select_option(label="since baseline [spm]")
    page.locator(".runlab-squad-descending input").check()
    expect(squad.locator("tbody tr").first).not_to_have_attribute("data-runner", by_name[0])

    def trends() -> list[float]:
        return [float(t.replace("−", "-")) for t in
                squad.locator("tbody tr td:nth-child(5)").all_inner_texts() if t != "-"]

    # the table redraws once per control: the sort may show before "descending" does
    for _ in range(150):  # hang guard, 30 s
        if trends() == sorted(trends(), reverse=True):
            break
        page.wait_for_timeout(200)
    assert trends() == sorted(trends(), reverse=True)
    # ... and opens a runner in the tuner
    chosen = by_name[2]
    page.locator(".runlab-squad-open select").select_option(label=chosen)
    zone = page.locator(".runlab-zone")
    expect(zone).to_be_visible()
    expect(page.locator(".runlab-cadence-tuner .vega-embed .marks")).to_be_visible(
        timeout=60_000)

    # the pace slider (M:SS /km) moves the band, the marker and the text together
    readout = page.locator(".runlab-pace .widget-readout")
    expect(readout).to_have_text(re.compile(r"^\d{1,2}:\d\d$"))
    before = check_target_agrees(page, expect)
    zone_before = zone.inner_text()  # read before the keys: the kernel may answer first
    handle = page.locator(".runlab-pace .noUi-handle")
    handle.focus()
    for _ in range(24):  # 2 min per km slower
        handle.press("ArrowRight")
    expect(zone).not_to_have_text(zone_before)
    boost = page.locator(".runlab-boost .noUi-handle")
    boost.focus()
    for _ in range(5):
        boost.press("ArrowRight")
    expect(zone).to_contain_text("+10 %")
    after = check_target_agrees(page, expect)
    assert after != before and after[2] - after[1] == 6
    page.locator(".runlab-cadence-tuner").screenshot(path=artifacts_dir / "coach_tuner.png")

    # the journal form refuses an empty row and says which fields are missing
    page.get_by_role("tab", name="Journal").click()
    form = page.locator(".runlab-journal-form")
    form.locator(".runlab-journal-save").click()
    expect(form.locator(".runlab-journal-status")).to_contain_text(
        "required fields missing: comfort, RPE")
    assert not coach_files["journal"].exists()
    form.locator(".runlab-journal-comfort select").select_option(label="4 comfortable")
    form.locator(".runlab-journal-rpe select").select_option(label="3")
    form.locator(".runlab-journal-foot-strike select").select_option(label="midfoot")
    form.locator(".runlab-journal-notes textarea").fill("browser test: quiet feet felt easy")
    form.locator(".runlab-journal-save").click()
    expect(form.locator(".runlab-journal-status")).to_contain_text("saved")
    form.screenshot(path=artifacts_dir / "coach_journal.png")
    import runlab

    row = runlab.read_journal(coach_files["journal"]).row(-1, named=True)
    assert (row["runner_id"], row["comfort"], row["rpe"], row["foot_strike"]) == (
        chosen, 4, 3, "midfoot")

    page.get_by_role("tab", name="Cohort").click()  # built when first opened
    expect(page.locator(".runlab-cohort-explorer .vega-embed .marks")).to_have_count(
        2, timeout=60_000)
    page.screenshot(path=artifacts_dir / "coach_cohort.png", full_page=True)
    page.get_by_role("tab", name="Plan").click()  # built when first opened, from the tuner
    expect(page.locator(".runlab-plan-summary")).to_contain_text("sessions")
    expect(page.locator(".runlab-plan-runner input")).to_have_value(chosen)
    habitual = float(page.locator(".runlab-plan-habitual-cadence input").input_value())
    assert habitual == pytest.approx(after[0] / 1.10, abs=0.6)  # the tuner's, boost +10 %
    page.screenshot(path=artifacts_dir / "coach_plan.png", full_page=True)
    assert not offsite_requests, f"requests left the machine: {offsite_requests}"
    assert not console, f"console errors: {console}"


def test_coach_dashboard_on_a_phone(browser, expect, voila_url, offsite_requests,
                                    artifacts_dir):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        page.goto(voila_url)
        expect(page.locator(".runlab-squad-table tbody tr").first).to_be_visible(
            timeout=120_000)
        page.get_by_role("tab", name="Tuner").click()
        expect(page.locator(".runlab-cadence-tuner .vega-embed .marks")).to_be_visible(
            timeout=60_000)
        page.screenshot(path=artifacts_dir / "coach_phone_tuner.png", full_page=True)
        width = page.evaluate("document.scrollingElement.scrollWidth")
        assert width <= 390, f"the page is {width} px wide at 390 px"
        page.get_by_role("tab", name="Squad").click()
        page.screenshot(path=artifacts_dir / "coach_phone_squad.png", full_page=True)
        width = page.evaluate("document.scrollingElement.scrollWidth")
        assert width <= 390, f"the squad tab is {width} px wide at 390 px"
    finally:
        context.close()
