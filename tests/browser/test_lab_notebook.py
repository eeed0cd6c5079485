"""`runlab lab` in a real browser: a curriculum notebook opens, runs and draws its charts."""

import pytest

from runlab.lab import lab_command, notebooks_dir

from .conftest import free_port, require, serve

pytestmark = pytest.mark.browser

NOTEBOOK = "curriculum/05_strides_and_hills.py"


@pytest.fixture(scope="module")
def lab_url(artifacts_dir, tmp_path_factory, monkeypatch_module):
    require("jupyterlab", "jupytext")
    monkeypatch_module.setenv("RUNLAB_CACHE", str(tmp_path_factory.mktemp("cache")))
    port, token = free_port(), "runlab-browser-tests"
    cmd, env = lab_command(notebooks_dir(), port=port, open_browser=False, extra=[
        "--ip=127.0.0.1", f"--IdentityProvider.token={token}",
        f"--LabApp.workspaces_dir={tmp_path_factory.mktemp('workspaces')}"])
    base = f"http://127.0.0.1:{port}"
    with serve(cmd, f"{base}/api/status?token={token}", artifacts_dir / "lab.log",
               notebooks_dir(), env=env):
        yield f"{base}/lab/tree/{NOTEBOOK}?token={token}"


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as mp:
        yield mp


def test_curriculum_notebook_runs_in_jupyterlab(page, expect, lab_url, offsite_requests,
                                                artifacts_dir):
    # the .py file opens as a notebook (jupytext default viewer set by `runlab lab`)
    with page.expect_websocket(lambda ws: "/api/kernels/" in ws.url, timeout=90_000):
        page.goto(lab_url)
    indicator = page.locator(".jp-Notebook-ExecutionIndicator")
    expect(indicator).to_have_attribute("data-status", "idle", timeout=60_000)
    expect(page.locator(".jp-Notebook .jp-Cell")).not_to_have_count(0)
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
    # the strides timeline and the hills timeline are drawn offline by vega-embed
    charts = page.locator(".vega-embed .marks")
    expect(charts.nth(1)).to_be_visible(timeout=120_000)
    expect(page.locator(".jp-OutputArea-output[data-mime-type*='error']")).to_have_count(0)
    charts.nth(0).scroll_into_view_if_needed()
    page.screenshot(path=artifacts_dir / "lab_curriculum_05.png")
    scripts = [url for kind, url in offsite_requests if kind == "script"]
    assert not scripts, f"the page wanted JavaScript from off this machine: {scripts}"
