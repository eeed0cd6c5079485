"""Real-browser fixtures: the coach dashboard under Voila and Debian's headless Chromium.

Playwright drives /usr/bin/chromium; every off-machine request is refused and recorded;
servers are stopped by their own pid. Missing pieces skip for users and fail under CI=true.
"""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from importlib.util import find_spec
from pathlib import Path
from urllib.parse import urlparse

import pytest

HERE = Path(__file__).parent
ARTIFACTS = Path(os.environ.get("RUNLAB_BROWSER_ARTIFACTS", HERE.parents[1] / "build/browser"))


def unavailable(reason):
    """Skip for ordinary users; with CI=true a missing piece fails the run instead."""
    if os.environ.get("CI", "").lower() in {"true", "1"}:
        pytest.fail(f"browser tests cannot run: {reason}", pytrace=False)
    pytest.skip(reason)


def require(*modules):
    if missing := [m for m in modules if find_spec(m) is None]:
        unavailable(f"not in the project's venv: {', '.join(missing)}")


@pytest.fixture(scope="session")
def artifacts_dir():
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def browser():
    require("playwright")
    from playwright.sync_api import sync_playwright

    exe = os.environ.get("RUNLAB_CHROMIUM") or shutil.which("chromium")
    if not exe or not os.access(exe, os.X_OK):
        unavailable(f"no chromium at {exe or 'PATH'} (apt-get install -y chromium)")
    with sync_playwright() as pw:  # Playwright itself adds --headless and --no-sandbox
        b = pw.chromium.launch(executable_path=exe, args=["--disable-gpu"])
        yield b
        b.close()


@pytest.fixture(scope="session")
def expect(browser):
    from playwright.sync_api import expect

    return expect


@pytest.fixture
def offsite_requests():
    return []  # (resource_type, url) of each request the page tried to send off this machine


@pytest.fixture
def page(browser, offsite_requests):
    """A fresh page whose off-machine requests are refused and recorded."""
    context = browser.new_context(viewport={"width": 1280, "height": 1000})

    def guard(route):
        url = urlparse(route.request.url)
        if url.scheme in {"http", "https"} and url.hostname not in {"127.0.0.1", "localhost"}:
            offsite_requests.append((route.request.resource_type, route.request.url))
            return route.abort()
        return route.continue_()

    context.route("**/*", guard)
    yield context.new_page()
    context.close()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serve(cmd, probe, log_path, cwd, env=None):
    """Run a server until `probe` gets any HTTP answer; always stop it, by its own pid."""
    with open(log_path, "w") as log:
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=log, stderr=subprocess.STDOUT,
                                env={**os.environ, **(env or {})})
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    urllib.request.urlopen(probe, timeout=2).close()
                    break
                except urllib.error.HTTPError:
                    break  # a 404 still means it is serving
                except OSError:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(f"{cmd[2]} did not come up; see {log_path}") from None
                    time.sleep(0.25)
            yield
        finally:
            proc.send_signal(signal.SIGTERM)  # Voila stops its kernels on SIGTERM
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture(scope="session")
def coach_files(tmp_path_factory):
    """Where the served dashboard writes: its journal and exports."""
    root = tmp_path_factory.mktemp("coach")
    return {"journal": root / "journal.csv", "exports": root / "exports", "nb": root / "nb"}


@pytest.fixture(scope="session")
def voila_url(coach_files, artifacts_dir):
    """The coach dashboard served exactly as ``runlab coach`` serves it."""
    require("voila", "jupytext")
    from runlab.widgets.coach import coach_command

    port = free_port()
    cmd, env, cwd = coach_command(journal=coach_files["journal"],
                                  exports=coach_files["exports"], port=port,
                                  open_browser=False, notebook_dir=coach_files["nb"])
    base = f"http://127.0.0.1:{port}"
    # Probe a static file: "/" would start a kernel and run the whole notebook.
    with serve(cmd, f"{base}/voila/static/voila.js", artifacts_dir / "voila.log", cwd, env):
        yield base + "/"
