"""SquadOverview: one row per runner of a store — cadence vs zone, trend, warning signs,
volume change, missed sessions and the plan's next step; sortable; a row opens the tuner."""

from __future__ import annotations

import html
from collections.abc import Callable

import ipywidgets as w
import polars as pl

from runlab.widgets._common import css, timed

__all__ = ["SquadOverview", "squad_table", "VOLUME_FLAG_PCT"]

#: Weekly distance increase [%] flagged by default (a parameter: ``volume_flag_pct``).
#: Nielsen et al. (2014, "Excessive progression in weekly running distance and risk of
#: running-related injuries", J Orthop Sports Phys Ther 44(10):739-747,
#: doi:10.2519/jospt.2014.5164) followed 873 novices for a year: those who raised their
#: weekly distance by more than 30 % over two weeks had more distance-related injuries
#: (patellofemoral pain, iliotibial band syndrome, shin splints, ...) than those under 10 %
#: (hazard ratio 1.59, 95 % CI 0.96-2.66); 10-30 % did not differ from under 10 %. The
#: "10 % rule" is a convention, not a proven threshold; 10 % is the edge of that study's
#: reference group, so the flag errs on the side of a conversation with the runner.
VOLUME_FLAG_PCT = 10.0

#: Columns the overview shows, with their headings.
HEADINGS = {
    "runner_id": "runner", "easy_cadence_spm": "latest easy cadence [spm]",
    "zone": "target zone [spm]", "status": "vs zone", "trend_spm": "since baseline [spm]",
    "warnings": "comfort / RPE", "volume_change_pct": "volume vs week before [%]",
    "missed": "missed sessions", "decision": "plan", "reason": "why",
}


def squad_table(runs: pl.DataFrame, journal: pl.DataFrame | None = None, *,
                boost: tuple[float, float] = (0.05, 0.10), baseline_days: int = 14,
                volume_flag_pct: float = VOLUME_FLAG_PCT,
                sessions_per_week: int = 3) -> pl.DataFrame:
    """The squad overview as a frame, one row per runner (frame in, frame out).

    Baseline: median easy-run cadence of each runner's first ``baseline_days``; target zone
    = baseline × (1 + ``boost``) (+5 % to +10 %, Heiderscheit et al., 2011,
    doi:10.1249/MSS.0b013e3181ebedf4). "Last week" is each runner's last week with runs
    (weeks from Monday, :func:`runlab.metrics.weekly`); its easy cadence is that of the
    runner's latest week with an easy run. Warnings are that week's journal
    entries with comfort ≤ 2 or RPE ≥ 7 (:data:`runlab.plan.LOW_COMFORT`,
    :data:`runlab.plan.HIGH_RPE`). The plan column is :func:`runlab.plan.decisions` for
    that week of a clinic plan started on the runner's first week.
    """
    from runlab import metrics, plan

    weekly = metrics.weekly(runs).sort("runner_id", "week")
    easy = pl.coalesce(pl.col("easy"), pl.lit(True)) if "easy" in runs.columns else pl.lit(True)
    first = runs.group_by("runner_id").agg(pl.col("start_time").min().alias("t0"))
    base = (runs.join(first, on="runner_id")
            .filter(pl.col("start_time") < pl.col("t0") + pl.duration(days=baseline_days),
                    easy)
            .group_by("runner_id").agg(baseline_spm=pl.col("cadence_spm").median()))
    last = (weekly.group_by("runner_id", maintain_order=True)
            .agg(pl.col("week").last(), pl.col("easy_cadence_spm").drop_nulls().last(),
                 pl.col("runs").last().alias("runs_last"),
                 pl.col("distance_m").last().alias("km_last"),
                 pl.col("distance_m").slice(-2, 1).first().alias("km_before"),
                 pl.col("week").first().alias("week0"), pl.len().alias("n_weeks")))
    lo, hi = boost
    out = (last.join(base, on="runner_id", how="left").with_columns(
        low_spm=pl.col("baseline_spm") * (1 + lo), high_spm=pl.col("baseline_spm") * (1 + hi),
        trend_spm=pl.col("easy_cadence_spm") - pl.col("baseline_spm"),
        volume_change_pct=pl.when(pl.col("n_weeks") > 1)
        .then((pl.col("km_last") / pl.col("km_before") - 1) * 100),
        missed=(pl.lit(sessions_per_week) - pl.col("runs_last")).clip(lower_bound=0)))
    out = out.with_columns(
        status=pl.when(pl.col("easy_cadence_spm").is_null()).then(pl.lit("no easy run"))
        .when(pl.col("easy_cadence_spm") < pl.col("low_spm")).then(pl.lit("below"))
        .when(pl.col("easy_cadence_spm") > pl.col("high_spm")).then(pl.lit("above"))
        .otherwise(pl.lit("in zone")),
        volume_flag=pl.col("volume_change_pct").fill_null(0) > volume_flag_pct)
    warn = _warnings(out, journal, plan.LOW_COMFORT, plan.HIGH_RPE)
    decided = _decisions(out, runs, journal, sessions_per_week)
    return (out.join(warn, on="runner_id", how="left").join(decided, on="runner_id", how="left")
            .with_columns(pl.col("warnings").fill_null(""))
            .select("runner_id", "week", "easy_cadence_spm", "baseline_spm", "low_spm",
                    "high_spm", "status", "trend_spm", "warnings", "volume_change_pct",
                    "volume_flag", "missed", "decision", "reason"))


def _warnings(out: pl.DataFrame, journal: pl.DataFrame | None, low_comfort: float,
              high_rpe: float) -> pl.DataFrame:
    """Comfort/RPE warning signs of each runner's last week, as text."""
    empty = pl.DataFrame(schema={"runner_id": pl.String, "warnings": pl.String})
    if journal is None or not journal.height or "date" not in journal.columns:
        return empty
    j = journal.with_columns(week=pl.col("date").cast(pl.Date).dt.truncate("1w"))
    j = j.join(out.select("runner_id", "week"), on=["runner_id", "week"])
    signs = []
    for runner, rows in j.group_by("runner_id"):
        parts = []
        low = rows.filter(pl.col("comfort") <= low_comfort)["comfort"] if "comfort" in rows.columns else []
        high = rows.filter(pl.col("rpe") >= high_rpe)["rpe"] if "rpe" in rows.columns else []
        if len(low):
            parts.append(f"comfort {int(min(low))} of 5")
        if len(high):
            parts.append(f"RPE {int(max(high))} of 10")
        signs.append((runner[0], ", ".join(parts)))
    return pl.DataFrame(signs, schema=empty.schema, orient="row") if signs else empty


def _decisions(out: pl.DataFrame, runs: pl.DataFrame, journal: pl.DataFrame | None,
               sessions_per_week: int) -> pl.DataFrame:
    """plan.decisions for each runner's last week of a clinic started on their first week."""
    from runlab import plan

    rows = []
    for r in out.iter_rows(named=True):
        weeks = max(1, (r["week"] - r["week0"]).days // 7 + 1)
        if r["baseline_spm"] is None:
            rows.append((r["runner_id"], "no_data", "no easy runs in the baseline weeks"))
            continue
        p = plan.clinic(r["week0"], max(weeks, 2), runner=r["runner_id"],
                        days_per_week=max(3, min(6, sessions_per_week)),
                        habitual_cadence_spm=r["baseline_spm"])
        mine = runs.filter(pl.col("runner_id") == r["runner_id"])
        notes = (journal.filter(pl.col("runner_id") == r["runner_id"])
                 if journal is not None and journal.height else None)
        dec = plan.decisions(p, mine, notes).filter(pl.col("week") == weeks)
        rows.append((r["runner_id"], *(dec.select("decision", "reason").row(0) if dec.height
                                       else ("no_data", "no plan week"))))
    return pl.DataFrame(rows, schema={"runner_id": pl.String, "decision": pl.String,
                                      "reason": pl.String}, orient="row")


def _cell(column: str, row: dict) -> str:
    v = row.get(column)
    if column == "zone":
        return ("-" if row["low_spm"] is None
                else f"{row['low_spm']:.0f}–{row['high_spm']:.0f}")
    if v is None:
        return "-"
    if column == "volume_change_pct":
        flag = ' <b class="runlab-flag" title="above the volume flag">▲</b>' \
            if row["volume_flag"] else ""
        return f"{v:+.0f}{flag}"
    if column == "trend_spm":
        return f"{v:+.1f}"
    if isinstance(v, float):
        return f"{v:.0f}"
    return html.escape(str(v).replace("_", " "))


class SquadOverview(w.VBox):
    """A whole squad at a glance (:func:`squad_table`): sort by any column; choosing a
    runner calls ``on_select(runner_id)`` (the dashboard opens the tuner for them).

    Parameters
    ----------
    store : runlab.cohort.Store or polars.DataFrame
        A cohort store (runs and journal) or a runs frame.
    journal : polars.DataFrame, optional
        Journal entries (default: the store's).
    volume_flag_pct : float
        Weekly distance increase [%] flagged (:data:`VOLUME_FLAG_PCT`).
    """

    def __init__(self, store, *, journal: pl.DataFrame | None = None,
                 volume_flag_pct: float = VOLUME_FLAG_PCT,
                 on_select: Callable[[str], None] | None = None):
        runs = store if isinstance(store, pl.DataFrame) else store.runs
        if journal is None and not isinstance(store, pl.DataFrame):
            journal = store.journal
        self.timings_s: list[float] = []
        self.on_select = on_select
        self.frame = squad_table(runs, journal, volume_flag_pct=volume_flag_pct)
        sortable = [c for c in HEADINGS if c not in ("zone", "reason")]
        self.sort_by = css(w.Dropdown(options=[(HEADINGS[c], c) for c in sortable],
                                      value="runner_id", description="sort by"), "squad-sort")
        self.descending = css(w.Checkbox(value=False, description="descending",
                                         indent=False), "squad-descending")
        self.runner = css(w.Dropdown(options=[("", None)] + [
            (r, r) for r in self.frame["runner_id"].to_list()], value=None,
            description="open runner"), "squad-open")
        self.table = css(w.HTML(layout=w.Layout(overflow="auto", max_height="520px",
                                                width="100%")), "squad-table")
        self.note = w.HTML(
            f"<small>Zone: baseline easy cadence +5 to +10 %. ▲ weekly distance up more than "
            f"{volume_flag_pct:.0f} % (Nielsen et al. 2014). Missed: fewer runs than planned "
            "last week. Plan: runlab.plan's decision for that week.</small>")
        self.sort_by.observe(lambda _: self.update(), "value")
        self.descending.observe(lambda _: self.update(), "value")
        self.runner.observe(self._opened, "value")
        self.update()
        super().__init__([w.HBox([self.sort_by, self.descending, self.runner],
                                 layout=w.Layout(flex_flow="row wrap")),
                          self.table, self.note])
        css(self, "squad-overview")

    def _opened(self, change) -> None:
        if change["new"] and self.on_select is not None:
            self.on_select(change["new"])

    def sorted(self) -> pl.DataFrame:
        """The overview in the chosen order (missing values last)."""
        key = {"zone": "low_spm"}.get(self.sort_by.value, self.sort_by.value)
        return self.frame.sort(key, descending=self.descending.value, nulls_last=True)

    @timed
    def update(self) -> None:
        """Re-sort and redraw the table."""
        head = "".join(f'<th data-column="{c}">{html.escape(t)}</th>'
                       for c, t in HEADINGS.items())
        body = "".join(
            f'<tr data-runner="{html.escape(r["runner_id"])}">'
            + "".join(f"<td>{_cell(c, r)}</td>" for c in HEADINGS) + "</tr>"
            for r in self.sorted().iter_rows(named=True))
        self.table.value = (f'<table class="runlab-table"><thead><tr>{head}</tr></thead>'
                            f"<tbody>{body}</tbody></table>")
