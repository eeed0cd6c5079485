"""``runlab coach``: the coach dashboard (``notebooks/coach/dashboard.py``) served by Voila.

Voila's own template asks a CDN for Font Awesome; runlab serves it with its ``runlab``
template (``runlab/_data/voila/templates/runlab``), the same page without those requests.

Voila runs notebooks, so the jupytext percent file is converted to ``.ipynb`` in runlab's
cache first. The server listens on 127.0.0.1 only; the dashboard's inputs are passed as
environment variables (``RUNLAB_COACH_STORE``, ``RUNLAB_COACH_JOURNAL``,
``RUNLAB_COACH_EXPORTS``, ``RUNLAB_COACH_RUNNER``).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

__all__ = ["dashboard_source", "dashboard_notebook", "coach_command"]


def dashboard_source() -> Path:
    """The dashboard's jupytext source, ``notebooks/coach/dashboard.py``."""
    from runlab.lab import notebooks_dir

    path = notebooks_dir() / "coach" / "dashboard.py"
    if not path.is_file():
        raise FileNotFoundError(f"the coach dashboard is not at {path}")
    return path


def dashboard_notebook(folder: str | os.PathLike | None = None) -> Path:
    """Convert the dashboard to ``dashboard.ipynb`` in ``folder`` (runlab's cache by
    default) with the ``python3`` kernel; returns its path."""
    import jupytext

    from runlab._files import cache_dir

    base = Path(folder) if folder else cache_dir() / "coach"
    base.mkdir(parents=True, exist_ok=True)
    nb = jupytext.read(dashboard_source())
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    path = base / "dashboard.ipynb"
    jupytext.write(nb, path)
    return path


def coach_command(*, store: str | os.PathLike | None = None,
                  journal: str | os.PathLike = "coach-journal.csv",
                  exports: str | os.PathLike = "coach-exports", runner: str | None = None,
                  port: int = 8866, open_browser: bool = True, units: str | None = None,
                  notebook_dir: str | os.PathLike | None = None
                  ) -> tuple[list[str], dict[str, str], Path]:
    """The Voila command line, environment and working folder that ``runlab coach`` runs.

    Parameters
    ----------
    store : path, optional
        A cohort store (``runlab ingest``); without it the demo store
        (:func:`runlab.datasets.demo_store`), built once into runlab's cache.
    journal : path
        Journal file the dashboard's form appends to.
    exports : path
        Folder for exported workouts, WAVs, calendars and plans.
    units : {"km", "mi"}, optional
        Pace unit of the dashboard (``RUNLAB_UNITS``; default: the locale's).
    port : int
        TCP port on 127.0.0.1 (no retries on another port).
    """
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        raise ValueError(f"invalid port {port!r}; allowed: an integer 1..65535")
    nb = dashboard_notebook(notebook_dir)
    cmd = [sys.executable, "-m", "voila", str(nb), "--Voila.ip=127.0.0.1", f"--port={port}",
           "--Voila.port_retries=0", "--template=runlab",
           # jupytext's lab extension needs JupyterLab's document manager: an error in Voila
           "--VoilaConfiguration.extension_denylist", "jupyterlab-jupytext"]
    if not open_browser:
        cmd.append("--no-browser")
    if store is None:
        from runlab.datasets import demo_store

        store = demo_store().path
    from runlab.widgets._common import vega_bundle

    vega_bundle()  # the charts' offline script, bundled once into runlab's cache
    templates = str(Path(__file__).resolve().parents[1] / "_data")  # voila/templates/runlab
    env = {"RUNLAB_COACH_JOURNAL": str(Path(journal).resolve()),
           "RUNLAB_COACH_EXPORTS": str(Path(exports).resolve()),
           "RUNLAB_COACH_STORE": str(Path(store).resolve()),
           "JUPYTER_PATH": os.pathsep.join(
               p for p in (templates, os.environ.get("JUPYTER_PATH")) if p)}
    if runner:
        env["RUNLAB_COACH_RUNNER"] = runner
    if units:
        from runlab.pace import check_units

        env["RUNLAB_UNITS"] = check_units(units)
    return cmd, env, nb.parent
