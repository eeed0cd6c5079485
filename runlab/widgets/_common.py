"""Helpers shared by the widgets: CSS hooks, timing, chart and table views."""

from __future__ import annotations

import functools
import html
import time
from collections.abc import Callable
from pathlib import Path

import polars as pl

__all__ = ["css", "timed", "chart_view", "chart_spec", "set_spec", "set_chart", "unvalidated",
           "frame_html", "offline_chart_class", "vega_bundle", "export_dir"]


def css(widget, *names: str):
    """Add stable ``runlab-*`` CSS classes (hooks for browser tests and styling)."""
    for name in names:
        widget.add_class(f"runlab-{name}")
    return widget


def timed(method: Callable) -> Callable:
    """Record how long each call of an update method takes in ``self.timings_s``."""

    @functools.wraps(method)
    def wrapper(self, *args, **kw):
        started = time.perf_counter()
        try:
            return method(self, *args, **kw)
        finally:
            self.timings_s.append(time.perf_counter() - started)

    return wrapper


@functools.cache
def offline_chart_class() -> type:
    """A subclass of ``alt.JupyterChart`` that loads vega from vl-convert-python, so charts
    show without internet (a lab, a clinic, a plane).

    altair's own switches (``alt.renderers.enable("jupyter", offline=True)``,
    ``alt.JupyterChart.enable_offline()``) change state every chart of the session shares;
    a widget must not, so the offline bundle lives on this class only (:func:`vega_bundle`).
    """
    import altair as alt

    return type("OfflineJupyterChart", (alt.JupyterChart,), {"_esm": vega_bundle()})


def vega_bundle() -> str:
    """The offline widget script, made as altair makes it: the widget's script without its
    CDN imports, bundled by ``vl_convert.javascript_bundle`` for altair's Vega-Lite version.

    Bundling takes about a second, so the result is kept in runlab's cache
    (``<cache>/vega/``, one file per altair and vl-convert-python version; ``runlab coach``
    makes it before its first page). A cache that cannot be read or written only costs the
    time.
    """
    from importlib.metadata import version

    from runlab._files import atomic_write, cache_dir

    path = (cache_dir() / "vega"
            / f"altair-{version('altair')}_vl-convert-{version('vl-convert-python')}.js")
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        pass
    import itertools

    import altair as alt
    import vl_convert as vlc
    from altair.jupyter.jupyter_chart import load_js_src

    lines = itertools.dropwhile(
        lambda line: not line.strip() or line.startswith(("import", "//")),
        load_js_src().split("\n"))
    bundle = vlc.javascript_bundle("\n".join(lines),
                                   vl_version="_".join(alt.SCHEMA_VERSION.split(".")[:2]))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, bundle.encode("utf-8"))
    except OSError:
        pass
    return bundle


def chart_view(chart):
    """A JupyterChart widget (offline: :func:`offline_chart_class`) showing ``chart``
    (updated by :func:`set_chart`)."""
    return css(offline_chart_class()(chart), "chart")


def chart_spec(chart) -> dict:
    """The chart's Vega-Lite spec, built and serialized without altair's JSON-schema
    validation (the chart functions are validated in their tests; validation is most of
    an update's time)."""
    with unvalidated():
        return chart.to_dict(validate=False)


def set_spec(view, spec: dict) -> None:
    """Show a spec (:func:`chart_spec`) in an existing :func:`chart_view`. The view keeps
    the selections it was created with, which must have the same names; the browser
    re-embeds the chart and restarts them empty (altair's widget does so on every spec
    change)."""
    view.spec = spec


def set_chart(view, chart) -> None:
    """Show a new chart in an existing :func:`chart_view`, fast (see :func:`chart_spec`)."""
    set_spec(view, chart_spec(chart))


def unvalidated():
    """Context in which altair skips validating each chart object as it is built."""
    from altair.utils.schemapi import debug_mode

    return debug_mode(False)


def frame_html(frame: pl.DataFrame, max_rows: int = 20, css_class: str = "runlab-table") -> str:
    """A small HTML table of ``frame`` (first ``max_rows`` rows), floats rounded."""
    shown = frame.head(max_rows).with_columns(pl.selectors.float().round(2))
    head = "".join(f"<th>{html.escape(c)}</th>" for c in shown.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{'' if v is None else html.escape(str(v))}</td>" for v in row)
        + "</tr>" for row in shown.iter_rows())
    more = (f"<caption>{frame.height} rows, first {max_rows} shown</caption>"
            if frame.height > max_rows else f"<caption>{frame.height} rows</caption>")
    return f'<table class="{css_class}">{more}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def export_dir(path: str | Path | None) -> Path:
    """Folder for exported files (created)."""
    folder = Path(path or "runlab-exports")
    folder.mkdir(parents=True, exist_ok=True)
    return folder
