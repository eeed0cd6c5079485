"""`runlab lab`: JupyterLab starts on the notebooks and serves jupytext .py files as notebooks."""

import json
import os
import socket
import subprocess
import time
import urllib.request

import pytest

from runlab.lab import lab_command


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_lab_serves_percent_scripts_as_notebooks(tmp_path, monkeypatch):
    monkeypatch.setenv("RUNLAB_CACHE", str(tmp_path / "cache"))
    (tmp_path / "nb").mkdir()
    (tmp_path / "nb" / "week1.py").write_text(
        "# %% [markdown]\n# # Week 1\n\n# %%\nimport runlab\nprint(runlab.__version__)\n")
    port, token = _free_port(), "runlab-test"
    cmd, env = lab_command(tmp_path / "nb", port=port, open_browser=False,
                           extra=["--ip=127.0.0.1", f"--IdentityProvider.token={token}"])
    settings = env["JUPYTERLAB_SETTINGS_DIR"]
    viewer = json.loads(open(os.path.join(
        settings, "@jupyterlab", "docmanager-extension", "plugin.jupyterlab-settings")).read())
    assert viewer["defaultViewers"]["python"] == "Jupytext Notebook"

    proc = subprocess.Popen(cmd, env={**os.environ, **env}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/api/contents/week1.py?type=notebook&token={token}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(url, timeout=2) as resp:
                    model = json.load(resp)
                break
            except OSError:  # refused, reset, or a read timeout while the server starts
                assert proc.poll() is None, "jupyter lab exited"
                assert time.monotonic() < deadline, "jupyter lab did not come up in 120 s"
                time.sleep(0.3)
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    cells = model["content"]["cells"]
    assert [c["cell_type"] for c in cells] == ["markdown", "code"]
    assert "runlab.__version__" in cells[1]["source"]
