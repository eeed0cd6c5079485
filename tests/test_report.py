"""Report tables: readable units (km/mi, h:mm:ss, pace), explained columns, empty tables
as a sentence, a page that fits a phone."""

import polars as pl

from runlab.report import Section, readable, table_html, write_report


def test_readable_units_pace_and_durations():
    frame = pl.DataFrame({"distance_m": [8700.88], "moving_s": [4666.0],
                          "speed_mps": [1000 / 330], "cadence_spm": [171.25]})
    km = readable(frame, "km").row(0, named=True)
    assert km == {"distance [km]": 8.7, "moving [h:mm:ss]": "1:17:46",
                  "pace [min/km]": "5:30", "cadence_spm": 171.25}
    mi = readable(frame, "mi").row(0, named=True)
    assert mi["distance [mi]"] == 5.41 and mi["pace [min/mi]"] == "8:51"


def test_tables_explain_columns_and_empty_tables_are_a_sentence(tmp_path):
    html = table_html(pl.DataFrame({"week": [1], "ease": [0.62]}), units="km")
    assert "ease: 0 = very hard" in html and "<div class='table'>" in html
    empty = pl.DataFrame(schema={"path": pl.String, "error": pl.String})
    assert table_html(empty, caption="Files that could not be ingested") == (
        "<p class='empty'>Files that could not be ingested: none.</p>")
    page = write_report(tmp_path / "r.html", "t", [Section(
        "s", tables=[("Files that could not be ingested", empty)])]).read_text()
    assert "<h4>Files that could not be ingested" not in page
    assert "Files that could not be ingested: none." in page
    assert "name='viewport' content='width=device-width" in page
