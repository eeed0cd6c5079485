"""The coach dashboard as a coach meets it: `runlab coach` under Voila, in headless Chromium.

Each trial opens the page in a new browser context, so Voila starts a fresh kernel and runs
``notebooks/coach/dashboard.py`` (as for every page load). Two times are printed, from the
moment the page is requested:

- first page: the squad table's first row is visible (budget 3 s, issue 23);
- first zone: the *Tuner* tab, clicked as soon as the squad shows, shows its zone text and
  its chart (budget 5 s).

With each time, the CPU time Voila and its kernels used meanwhile (server + kernel
processes, from ``psutil``): on a loaded machine wall time includes waiting for a core,
the CPU time does not, so it shows what the page costs.

The store is the cached demo store and the charts' offline script is bundled once into
runlab's cache, as ``runlab coach`` does before it starts Voila (not timed). The machine's
load average is printed with the figures: on a shared machine wall time includes waiting
for a core. Browser: Debian's chromium (``RUNLAB_CHROMIUM`` overrides it), as in the
browser tests.

Run: ``python benchmarks/dashboard.py [--trials 5] [--store STORE]``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import socket
import statistics
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

PAGE_BUDGET_S = 3.0
ZONE_BUDGET_S = 5.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def voila(store: str | None, folder: Path):
    """`runlab coach`'s Voila server (no browser of its own); stopped by its own pid."""
    from runlab.widgets.coach import coach_command

    port = free_port()
    cmd, env, cwd = coach_command(store=store, journal=folder / "journal.csv",
                                  exports=folder / "exports", port=port, open_browser=False,
                                  notebook_dir=folder / "nb")
    base = f"http://127.0.0.1:{port}"
    with open(folder / "voila.log", "w") as log:
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=log, stderr=subprocess.STDOUT,
                                env={**os.environ, **env})
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    urllib.request.urlopen(f"{base}/voila/static/voila.js", timeout=2).close()
                    break
                except urllib.error.HTTPError:
                    break
                except OSError:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(
                            f"voila did not start; see {folder / 'voila.log'}") from None
                    time.sleep(0.25)
            yield base + "/", proc.pid
        finally:
            proc.send_signal(signal.SIGTERM)  # Voila stops its kernels on SIGTERM
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def server_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) used so far by the server and all its children."""
    import psutil

    total = 0.0
    server = psutil.Process(pid)
    for proc in [server, *server.children(recursive=True)]:
        try:
            t = proc.cpu_times()
            total += t.user + t.system
        except psutil.NoSuchProcess:
            pass
    return total


def trial(browser, url: str, pid: int) -> tuple[float, float, float, float]:
    """(first page, first zone) [s] of one fresh page, wall and server CPU."""
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    try:
        cpu0 = server_cpu_s(pid)
        started = time.perf_counter()
        page.goto(url, wait_until="commit")
        page.locator(".runlab-squad-table tbody tr").first.wait_for(state="visible",
                                                                      timeout=180_000)
        first_page = time.perf_counter() - started
        page_cpu = server_cpu_s(pid) - cpu0
        page.get_by_role("tab", name="Tuner").click()
        page.locator(".runlab-zone", has_text="target").wait_for(state="visible",
                                                                  timeout=180_000)
        page.locator(".runlab-cadence-tuner .vega-embed .marks").wait_for(state="visible",
                                                                           timeout=180_000)
        first_zone = time.perf_counter() - started
        return first_page, first_zone, page_cpu, server_cpu_s(pid) - cpu0
    finally:
        context.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trials", type=int, default=5)
    parser.add_argument("--store", help="a cohort store (default: the cached demo store)")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    exe = os.environ.get("RUNLAB_CHROMIUM") or shutil.which("chromium")
    if not exe:
        raise SystemExit("no chromium (apt-get install -y chromium, or set RUNLAB_CHROMIUM)")
    folder = Path(tempfile.mkdtemp(prefix="runlab-bench-dashboard-"))
    with voila(args.store, folder) as (url, pid), sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=exe, args=["--disable-gpu"])
        times = []
        for i in range(args.trials):
            load = os.getloadavg()[0]
            page_s, zone_s, page_cpu, zone_cpu = trial(browser, url, pid)
            times.append((page_s, zone_s, page_cpu, zone_cpu))
            print(f"trial {i + 1}: first page {page_s:5.2f} s (server CPU {page_cpu:4.2f} s), "
                  f"first zone {zone_s:5.2f} s (CPU {zone_cpu:4.2f} s); load average "
                  f"{load:.1f} on {os.cpu_count()} cores", flush=True)
        browser.close()
    page_med = statistics.median(t[0] for t in times)
    zone_med = statistics.median(t[1] for t in times)
    print(f"\nmedian of {len(times)}: first page {page_med:.2f} s (budget {PAGE_BUDGET_S:.0f} s, "
          f"ratio {page_med / PAGE_BUDGET_S:.2f}); first zone {zone_med:.2f} s (budget "
          f"{ZONE_BUDGET_S:.0f} s, ratio {zone_med / ZONE_BUDGET_S:.2f}); best: "
          f"{min(t[0] for t in times):.2f} s / {min(t[1] for t in times):.2f} s; server CPU "
          f"median {statistics.median(t[2] for t in times):.2f} s / "
          f"{statistics.median(t[3] for t in times):.2f} s")


if __name__ == "__main__":
    main()
