"""``runlab lab``: JupyterLab on the curated notebooks, jupytext-paired.

The notebooks are jupytext percent ``.py`` files. JupyterLab opens ``.py`` files as
notebooks when its document manager's default viewer for Python is "Jupytext Notebook";
runlab writes that one setting into its own settings folder and points JupyterLab at it
(``JUPYTERLAB_SETTINGS_DIR``), so a user's own settings are left alone.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

__all__ = ["notebooks_dir", "lab_command", "run_server"]

_VIEWER_SETTING = {"defaultViewers": {"python": "Jupytext Notebook"}}


def notebooks_dir() -> Path:
    """The curated notebooks: the repository's ``notebooks/`` beside the package."""
    path = Path(__file__).resolve().parents[1] / "notebooks"
    if not path.is_dir():
        raise FileNotFoundError(f"runlab's notebooks are not at {path}; pass a folder")
    return path


def _settings_dir() -> Path:
    from runlab._files import cache_dir

    folder = cache_dir() / "lab-settings"
    plugin = folder / "@jupyterlab" / "docmanager-extension"
    plugin.mkdir(parents=True, exist_ok=True)
    (plugin / "plugin.jupyterlab-settings").write_text(json.dumps(_VIEWER_SETTING, indent=2))
    return folder


def lab_command(notebooks: str | os.PathLike | None = None, *, port: int | None = None,
                open_browser: bool = True, extra: list[str] | None = None
                ) -> tuple[list[str], dict[str, str]]:
    """The ``jupyter lab`` command line and environment that ``runlab lab`` runs."""
    root = Path(notebooks) if notebooks else notebooks_dir()
    cmd = [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={root}"]
    if port:
        cmd += [f"--port={port}", "--ServerApp.port_retries=0"]
    if not open_browser:
        cmd.append("--no-browser")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    cmd += list(extra or [])
    return cmd, {"JUPYTERLAB_SETTINGS_DIR": str(_settings_dir())}


def run_server(cmd: list[str], env: dict[str, str], cwd: str | os.PathLike | None = None,
               *, grace_s: float = 20.0) -> int:
    """Run a Jupyter/Voila server until it exits; on SIGTERM or Ctrl-C stop it with SIGTERM
    (it shuts its kernels down), and kill it after ``grace_s`` if it does not stop."""
    import signal
    import subprocess

    proc = subprocess.Popen(cmd, cwd=cwd, env={**os.environ, **env})

    def stop(*_):
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        return proc.wait()
    except KeyboardInterrupt:  # Jupyter would only ask "Shutdown?" on a lone SIGINT
        stop()
        try:
            return proc.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            return proc.wait()
    finally:
        signal.signal(signal.SIGTERM, previous)
