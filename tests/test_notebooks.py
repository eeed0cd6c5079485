"""Every curated notebook (jupytext percent .py) executes top to bottom, each in < 60 s."""

import time
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
PATHS = sorted(p for p in NOTEBOOKS.rglob("*.py")  # not checkpoints or private helpers
               if not any(part.startswith((".", "_")) for part in p.relative_to(NOTEBOOKS).parts))


@pytest.mark.notebooks
@pytest.mark.slow
@pytest.mark.parametrize("path", PATHS, ids=[str(p.relative_to(NOTEBOOKS)) for p in PATHS])
def test_notebook_runs(path, tmp_path, monkeypatch):
    import jupytext
    from nbclient import NotebookClient

    monkeypatch.setenv("RUNLAB_NOTEBOOK_OUT", str(tmp_path))
    nb = jupytext.read(path)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    started = time.perf_counter()
    NotebookClient(nb, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    elapsed = time.perf_counter() - started
    assert elapsed < 600, f"{path.name} took {elapsed:.0f} s (hang guard 600 s)"
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert not errors
