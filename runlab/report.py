"""Self-contained HTML reports of altair charts and tables, readable with no internet.

The vega, vega-lite and vega-embed JavaScript comes from ``vl-convert-python`` and is
inlined once per report, so a report opens offline (a lab, a clinic, a plane) and charts
stay interactive (tooltips, selections). Charts are drawn as SVG and shrink to the page's
width on a phone (sharp when zoomed); wide tables scroll sideways in their own box.
"""

from __future__ import annotations

import html
import json
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import altair as alt
import polars as pl

from runlab.pace import readable

__all__ = ["Section", "write_report", "table_html", "readable", "COLUMN_NOTES",
           "format_p"]


@dataclass
class Section:
    """One part of a report: a heading, a paragraph, charts and tables (in that order)."""

    title: str
    text: str = ""
    charts: list[alt.TopLevelMixin] = field(default_factory=list)
    tables: list[tuple[str, pl.DataFrame]] = field(default_factory=list)


def format_p(p: float | None) -> str:
    """A p-value as text: ``"< 0.001"`` below 0.001 (never ``"0.0"``), else 3 decimals."""
    if p is None or p != p:
        return ""
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


#: What a column means, shown under any table that has it.
COLUMN_NOTES = {
    "ease": "ease: 0 = very hard and uncomfortable … 1 = effortless and comfortable; the mean "
            "of (comfort − 1) / 4 and 1 − RPE / 10 (runlab.journal.ease).",
    "ease_vs_cool": "ease_vs_cool: ease minus the runner's usual ease when it is not hot; "
                    "below 0 = heat makes running feel harder than usual.",
    "heat_index_c": "heat index [°C]: how hot it feels from temperature and humidity (US NWS).",
}


def table_html(frame: pl.DataFrame, *, max_rows: int = 30, digits: int = 2,
               caption: str = "", units: str | None = None) -> str:
    """An HTML table of ``frame`` (first ``max_rows`` rows, :func:`readable`, floats
    rounded to ``digits``) in a box that scrolls sideways when wide, with notes on the
    columns that need them (:data:`COLUMN_NOTES`); an empty frame is one sentence."""
    if frame.height == 0:
        return f"<p class='empty'>{html.escape(caption or 'This table')}: none.</p>"
    shown = readable(frame.head(max_rows), units)
    pcols = [c for c, t in shown.schema.items()  # p-values as text: "< 0.001", never 0.0
             if t.is_float() and (c == "p_value" or c.endswith("_p_value"))]
    shown = shown.with_columns(
        [pl.col(c).map_elements(format_p, return_dtype=pl.String) for c in pcols]).with_columns(
        [pl.col(c).round(digits) for c, t in shown.schema.items()
         if t.is_float() and c not in pcols])
    head = "".join(f"<th>{html.escape(c)}</th>" for c in shown.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{'' if v is None else html.escape(str(v))}</td>" for v in row)
        + "</tr>" for row in shown.iter_rows())
    more = (f"<p class='more'>{frame.height - max_rows} more rows</p>"
            if frame.height > max_rows else "")
    notes = "".join(f"<p class='note'>{html.escape(text)}</p>"
                    for name, text in COLUMN_NOTES.items() if name in frame.columns)
    return (f"<div class='table'><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody>"
            f"</table></div>{more}{notes}")


_STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1100px;
margin:2em auto;padding:0 1em;color:#222}
h1{margin-bottom:.2em} h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:2em}
.meta{color:#666} table{border-collapse:collapse;margin:1em 0;font-size:.9em}
th,td{border:1px solid #ddd;padding:.25em .6em;text-align:right} td{white-space:nowrap}
th{background:#f4f4f4} .table{overflow-x:auto;max-width:100%}
.chart{margin:1em 0;max-width:100%;overflow-x:auto}
.chart svg{max-width:100%;height:auto} .more,.note{color:#666;font-size:.85em}
.empty{color:#444;font-style:italic}
@media (max-width:600px){body{margin:1em auto;padding:0 .6em} h1{font-size:1.4em}}
"""


def write_report(path: str | os.PathLike, title: str, sections: list[Section], *,
                 intro: str = "") -> Path:
    """Write ``sections`` as one offline HTML file at ``path``; return the path."""
    import vl_convert as vlc

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    parts, embeds = [], []
    for s_index, section in enumerate(sections):
        parts.append(f"<h2>{html.escape(section.title)}</h2>")
        if section.text:
            parts.append(f"<p>{html.escape(section.text)}</p>")
        for c_index, chart in enumerate(section.charts):
            div = f"chart-{s_index}-{c_index}"
            parts.append(f"<div class='chart' id='{div}'></div>")
            embeds.append(f"vegaEmbed('#{div}', {json.dumps(chart.to_dict())}, "
                          "{actions: false, renderer: 'svg'});")
        for caption, frame in section.tables:
            if frame.height:
                parts.append(f"<h4>{html.escape(caption)}</h4>")
            parts.append(table_html(frame, caption=caption))
    script = vlc.javascript_bundle("\n".join(embeds))
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    from runlab import __version__

    page = (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>"
        f"<h1>{html.escape(title)}</h1><p class='meta'>runlab {__version__} · {stamp}</p>"
        + (f"<p>{html.escape(intro)}</p>" if intro else "")
        + "".join(parts)
        + f"<script type='module'>{script}</script></body></html>")
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(path)
    return path
