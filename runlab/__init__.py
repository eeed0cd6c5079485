"""runlab: running technique data in Jupyter.

Read watch, phone and platform files and training journals into polars frames, clean
them, summarize runs, build cohorts, fit cadence/stride/progression models, and chart
them. The public API is re-exported here (loaded lazily so ``import runlab`` is fast)::

    import runlab
    rec = runlab.read("run.fit")
    runs = runlab.summarize(runlab.read_activity("run.fit"))
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

#: public name → module that defines it
_API = {
    "read": "runlab.io",
    "read_activity": "runlab.io",
    "read_csv": "runlab.io.csv",
    "read_archive": "runlab.io.archive",
    "read_imu": "runlab.io.imu",
    "read_audio": "runlab.io.audio",
    "read_video": "runlab.io.video",
    "read_journal": "runlab.journal",
    "summarize": "runlab.metrics",
    "ingest": "runlab.cohort",
    "Store": "runlab.cohort",
    "Activity": "runlab.activity",
    "validate": "runlab.schema",
}
_MODULES = {
    "errors", "schema", "io", "gait", "metrics", "journal", "cohort", "models",
    "plan", "cues", "charts", "widgets", "simulate", "datasets", "privacy", "activity",
}

__all__ = sorted([*_API, *_MODULES, "clean"])

# The function ``clean`` shares its module's name; importing it here, once, keeps
# ``runlab.clean`` the function (a later ``import runlab.clean`` does not rebind it).
from runlab.clean import clean  # noqa: E402, F401


def __getattr__(name: str) -> Any:
    if name in _API:
        value = getattr(importlib.import_module(_API[name]), name)
    elif name in _MODULES:
        value = importlib.import_module(f"runlab.{name}")
    else:
        raise AttributeError(f"module 'runlab' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
