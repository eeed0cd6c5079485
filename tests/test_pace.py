"""Pace and duration parsing/formatting (runlab.pace): frames stay SI, people read M:SS."""

import pytest

from runlab.pace import default_units, format_duration, format_pace, pace_label_expr, parse_pace


def test_parse_pace_values():
    assert parse_pace("5:30") == pytest.approx(1000 / 330)
    assert parse_pace("5:30/km") == parse_pace(" 5:30 /km ") == parse_pace("5:30 min/km")
    assert parse_pace("8:50/mi") == pytest.approx(1609.344 / 530)
    assert parse_pace("15:00") == pytest.approx(1000 / 900)


@pytest.mark.parametrize("bad", ["6:75", "abc", "0:00", "5", "5:3", "-5:30", "5:30/m", ""])
def test_parse_pace_refuses(bad):
    with pytest.raises(ValueError, match="invalid pace"):
        parse_pace(bad)


def test_format_pace_round_trips():
    for text in ("3:00", "5:33", "9:34", "15:00"):
        assert format_pace(parse_pace(text)) == f"{text} /km"
        assert format_pace(parse_pace(f"{text}/mi"), "mi", suffix=False) == text
    assert format_pace(3.0) == "5:33 /km"
    assert format_pace(None) == format_pace(0.0) == format_pace(float("nan")) == "-"
    with pytest.raises(ValueError, match="allowed: km, mi"):
        format_pace(3.0, "miles")


def test_format_duration():
    assert format_duration(4666.0) == "1:17:46"
    assert format_duration(59.6) == "1:00"
    assert format_duration(3600) == "1:00:00"
    assert format_duration(-75) == "-1:15"
    assert format_duration(None) == format_duration(float("nan")) == "-"


def test_default_units_from_setting_then_locale():
    assert default_units({"RUNLAB_UNITS": "mi", "LANG": "de_DE.UTF-8"}) == "mi"
    assert default_units({"LANG": "en_US.UTF-8"}) == "mi"
    assert default_units({"LC_ALL": "en_GB.UTF-8", "LANG": "fr_FR"}) == "mi"
    assert default_units({"LANG": "fr_FR.UTF-8"}) == "km"
    assert default_units({"LANG": "C.UTF-8"}) == default_units({}) == "km"
    with pytest.raises(ValueError):
        default_units({"RUNLAB_UNITS": "furlong"})


def test_pace_label_expr_labels_speed_ticks():
    import altair as alt
    import polars as pl
    import vl_convert as vlc

    data = pl.DataFrame({"speed_mps": [2.5, 3.0, 4.0], "cadence_spm": [160, 165, 170]})
    for units, labels in (("km", ["6:40", "5:33", "4:10"]), ("mi", ["10:44", "8:56"])):
        chart = alt.Chart(data).mark_point().encode(
            x=alt.X("speed_mps:Q", axis=alt.Axis(labelExpr=pace_label_expr(units),
                                                 values=[2.5, 3.0, 4.0])),
            y="cadence_spm:Q")
        svg = vlc.vegalite_to_svg(chart.to_dict())
        assert all(f">{label}<" in svg for label in labels), units
