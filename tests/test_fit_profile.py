"""runlab/io/_fit_profile.py is what tools/make_fit_profile.py makes from the official SDK."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

garmin = pytest.importorskip("garmin_fit_sdk.profile")  # the test extra

TOOL = Path(__file__).resolve().parents[1] / "tools" / "make_fit_profile.py"


def _tool():
    spec = importlib.util.spec_from_file_location("make_fit_profile", TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_profile_is_the_generators_output():
    tool = _tool()
    assert tool.OUT.read_text(encoding="utf-8") == tool.render(garmin.Profile)


def test_generator_takes_facts_from_the_sdk():
    tool = _tool()
    namespace: dict = {}
    exec(tool.render(garmin.Profile), namespace)
    record = namespace["MESSAGES"][20][1]
    assert record[6] == ("speed", "uint16", 1000, 0, "m/s")
    assert record[2] == ("altitude", "uint16", 5, 500, "m")
    assert namespace["TYPES"]["sport"][1] == "running"
    assert namespace["PROFILE_VERSION"] == "{major}.{minor}".format(**garmin.Profile["version"])
