"""`runlab demo` end to end: sample + demo cohort → stores → models → offline HTML report."""

import re

import pytest

from runlab.cli import main


@pytest.mark.slow
def test_demo_writes_an_offline_report(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path / "report")]) == 0
    printed = capsys.readouterr().out
    page = (tmp_path / "report" / "index.html").read_text()
    assert "report:" in printed and str(tmp_path / "report" / "index.html") in printed

    # the simulated truth comes back: population cadence ≈ 157 + 8·(v − 2.5) → 165 at 3.5 m/s
    at = float(re.search(r"cohort cadence at 3.5 m/s \(\d+:\d\d /(?:km|mi)\): ([\d.]+)", printed).group(1))
    assert 160 < at < 170
    # the headline is the clinic's effect with its interval, beside the simulated truth,
    # and the interval contains the truth (end of clinic and follow-up)
    effects = re.findall(r"clinic effect, (\S+) \(weeks .*: ([+-][\d.]+) % \(95 % CI "
                         r"([+-][\d.]+) to ([+-][\d.]+) %.*simulated truth ([+-][\d.]+) %",
                         printed)
    assert [e[0] for e in effects] == ["end", "follow-up"]
    for _, est, lo, hi, truth in effects:
        assert float(lo) <= float(truth) <= float(hi)
        assert float(lo) < float(est) < float(hi)
    assert 5 < float(effects[0][4]) < 9  # about +7.1 % achieved of a +7.5 % target
    assert re.search(r"attainment in weeks 9–10: \d+ of \d+ retrained runners", printed)
    assert "Demo cohort: the clinic" in page
    assert "&lt; 0.001" in page  # tiny p-values as text (runlab.report.format_p)

    # every chart is embedded with vega inlined: nothing loads from off the machine
    charts = re.findall(r"id='(chart-\d+-\d+)'", page)
    assert len(charts) >= 9
    assert all(re.search(f"[\"']#{c}[\"']", page) for c in charts)  # each one embedded
    assert not re.search(r"<script[^>]+src=", page)
    assert "cdn.jsdelivr" not in page
    for heading in ("One runner&#x27;s clinic", "Walk–run progression", "Demo cohort: cadence",
                    "progression of a cadence-retraining intervention"):
        assert heading in page
