"""The chart of one clip's running form (:func:`runlab.gait.form`): a stick figure at each
initial contact over the measured values, step by step. Re-exported as
:func:`runlab.charts.form_clip`."""

from __future__ import annotations

import altair as alt
import numpy as np
import polars as pl

from runlab.errors import SchemaError

__all__ = ["form_clip"]

#: Per-step measures drawn under the figures: column → axis title (with unit).
FORM_MEASURES = {
    "overstride_leg": "Overstride [leg lengths]",
    "foot_strike_angle_deg": "Foot strike angle [deg]",
    "knee_flexion_deg": "Knee flexion at contact [deg]",
    "trunk_lean_deg": "Trunk lean [deg]",
    "cadence_spm": "Cadence [steps/min]",
}
_STRIKE_COLORS = {"heel": "#e45756", "midfoot": "#4c78a8", "forefoot": "#54a24b"}
_BONES = (("shoulder", "hip"), ("hip", "knee"), ("knee", "ankle"), ("ankle", "heel"),
          ("heel", "foot_index"), ("foot_index", "ankle"))
_GAP_LEG = 1.6  # horizontal space between two figures [leg lengths]


def _figures(steps: pl.DataFrame, frames: pl.DataFrame) -> pl.DataFrame:
    """Line segments of a stick figure per contact: hip at x = i·gap, ground at y = 0."""
    t = frames["time_s"].to_numpy()
    rows = []
    for i, step in enumerate(steps.iter_rows(named=True)):
        k = max(0, int(np.searchsorted(t, step["time_s"] + 0.002, side="right")) - 1)
        f = frames.row(k, named=True)
        land, other = step["side"], "right" if step["side"] == "left" else "left"
        ground = min(f[f"{s}_{p}_y"] for s in ("left", "right") for p in ("heel", "foot_index"))
        hip_x = 0.5 * (f["left_hip_x"] + f["right_hip_x"])
        for side, leg in ((other, "other leg"), (land, "landing leg")):
            for a, b in _BONES:
                if a == "shoulder" and side == other:
                    continue
                for end, part in enumerate((a, b)):
                    rows.append({
                        "contact": i + 1, "segment": f"{i}-{side}-{a}-{b}", "leg": leg,
                        "order": end,
                        "x": i * _GAP_LEG + f[f"{side}_{part}_x"] - hip_x,
                        "y": f[f"{side}_{part}_y"] - ground,
                        "foot_strike": step["foot_strike"], "time_s": step["time_s"],
                    })
    return pl.DataFrame(rows)


def form_clip(measured, *, title: str | None = None, max_figures: int = 6) -> alt.VConcatChart:
    """One clip's form: stick figures at the first ``max_figures`` initial contacts
    (landing leg coloured by foot strike class, the other leg grey; leg lengths, hip
    centred, ground at 0), and below them every measured value per step over the clip's
    time [s] (:data:`FORM_MEASURES`, units on the axes).

    ``measured`` is what :func:`runlab.gait.form` returns. Raises
    :class:`~runlab.errors.SchemaError` when it found no contacts (nothing to draw).
    """
    steps, frames = measured.steps, measured.frames
    if not steps.height:
        raise SchemaError("no initial contacts in this clip: nothing to chart "
                          "(see the form summary's frames_dropped)")
    row = measured.summary.row(0, named=True)
    title = title or "Running form at each initial contact"
    cadence = f"{row['cadence_spm']:.0f} steps/min" if row["cadence_spm"] else "cadence —"
    subtitle = (f"{row['steps']} steps, {cadence}, mostly {row['foot_strike']} strike; "
                f"{row['side_facing_camera']} side to camera, {row['frames_dropped']} of "
                f"{row['frames_total']} frames dropped")
    figs = _figures(steps.head(max_figures), frames)
    n = min(steps.height, max_figures)
    span = (-0.8, (n - 1) * _GAP_LEG + 0.8)
    top = max(1.8, float(figs["y"].max()) + 0.1)
    width = 640
    height = int(width * top / (span[1] - span[0]))  # true shape: equal units on both axes
    color = alt.Color("foot_strike:N", title="Foot strike",
                      scale=alt.Scale(domain=list(_STRIKE_COLORS),
                                      range=list(_STRIKE_COLORS.values())))
    base = alt.Chart(figs).encode(
        x=alt.X("x:Q", title="Contacts in order, 1.6 apart [leg lengths]",
                scale=alt.Scale(domain=list(span), nice=False)),
        y=alt.Y("y:Q", title="Height above ground [leg lengths]",
                scale=alt.Scale(domain=[0, top], nice=False)),
        detail="segment:N", order="order:O",
        tooltip=["contact:O", alt.Tooltip("time_s:Q", format=".2f", title="time [s]"),
                 "foot_strike:N"])
    sticks = alt.layer(
        base.transform_filter(alt.datum.leg == "other leg")
        .mark_line(color="#bab0ac", strokeWidth=2),
        base.transform_filter(alt.datum.leg == "landing leg")
        .mark_line(strokeWidth=3).encode(color=color),
    ).properties(width=width, height=height)
    available = [c for c in FORM_MEASURES if steps[c].drop_nulls().len()]
    panels = []
    for column in available:
        data = steps.select("time_s", "side", "foot_strike", pl.col(column).alias("value"))
        panels.append(alt.Chart(data).mark_line(point=True, color="#4c78a8").encode(
            x=alt.X("time_s:Q", title="Time in clip [s]"),
            y=alt.Y("value:Q", title=FORM_MEASURES[column], scale=alt.Scale(zero=False)),
            tooltip=[alt.Tooltip("time_s:Q", format=".2f", title="time [s]"), "side:N",
                     "foot_strike:N", alt.Tooltip("value:Q", format=".2f",
                                                  title=FORM_MEASURES[column])],
        ).properties(width=width, height=90, title=FORM_MEASURES[column]))
    return alt.vconcat(sticks, *panels).resolve_scale(color="independent").properties(
        title=alt.Title(title, subtitle=subtitle))
