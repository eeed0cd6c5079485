"""The ``runlab`` command on real files, bad paths, stores and bad input: one line per
problem, never a traceback; exit codes say whether anything failed."""

import os
import signal
import subprocess
import sys
import threading

import polars as pl
import pytest

from runlab import simulate
from runlab.cli import main
from runlab.cohort import ingest


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """Two simulated runners, two weeks, ingested (runner ids from the folder layout)."""
    root = tmp_path_factory.mktemp("cli")
    folder = simulate.cohort(2, 2, seed=3).write(root / "src", workers=1)
    return ingest(folder, root / "store", workers=1, progress=False)


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "runlab.cli", *args], capture_output=True,
                          text=True, timeout=600)


def test_info_over_the_corpus_and_bad_paths(corpus, tmp_path):
    files = sorted(str(p) for p in (corpus / "files").rglob("*") if p.is_file())
    (tmp_path / "empty.fit").write_bytes(b"")
    bad = [str(tmp_path / "missing.fit"), str(tmp_path / "empty.fit"), str(tmp_path)]
    done = run_cli("info", *files, *bad)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr and "Traceback" not in done.stdout
    errors = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    described = [line[len("file:      "):] for line in done.stdout.splitlines()
                 if line.startswith("file:")]
    # every path is either described in its block or named on exactly one error line
    for path in [*files, *bad]:
        hits = sum(line.startswith(f"error: {path}:") for line in errors)
        assert (path in described) + hits == 1, path
    assert len(described) + len(errors) == len(files) + len(bad)
    assert all(line.startswith(("error: ", "note: ")) for line in done.stderr.splitlines()[:-1])
    assert done.stderr.splitlines()[-1] == f"{len(errors)} of {len(files) + 3} files could not be read"
    # files without timestamps (a course TCX, a no-time GPX) still get their block
    assert "start:     - (no timestamps)" in done.stdout


def test_info_exit_zero_when_all_succeed(corpus, capsys):
    path = corpus / "files/fit/fitparse__garmin-fenix-5-run.fit"
    assert main(["info", str(path), "--units", "mi"]) == 0
    out = capsys.readouterr().out
    assert "duration:  0:57" in out and "distance:  0.10 mi" in out  # MANIFEST: 157.56 m, 57 s
    assert "pace:      " in out and "/mi" in out


def test_zone_pace_and_speed(capsys):
    assert main(["zone", "--pace", "5:30"]) == 0
    by_pace = capsys.readouterr().out
    assert main(["zone", "--speed", str(1000 / 330)]) == 0
    by_speed = capsys.readouterr().out
    assert by_pace.splitlines()[1:] == by_speed.splitlines()[1:]  # the same zone
    assert by_pace.startswith("pace 5:30 /km (3.03 m/s)")
    assert main(["zone", "--pace", "8:50/mi", "--units", "mi"]) == 0
    assert capsys.readouterr().out.startswith("pace 8:50 /mi (3.04 m/s)")


def test_zone_answers_in_the_unit_the_pace_was_typed_in(capsys, monkeypatch):
    monkeypatch.setenv("RUNLAB_UNITS", "km")
    assert main(["zone", "--pace", "8:50/mi"]) == 0
    head, explanation = capsys.readouterr().out.splitlines()[:2]
    assert head.startswith("pace 8:50 /mi") and "(8:50 /mi)" in explanation
    assert main(["zone", "--pace", "8:50/mi", "--units", "km"]) == 0
    head, explanation = capsys.readouterr().out.splitlines()[:2]
    assert head.startswith("pace 5:29 /km") and "(5:29 /km)" in explanation


@pytest.mark.parametrize("args", [["--pace", "6:75"], ["--pace", "abc"], ["--speed", "5:30"]])
def test_zone_bad_pace_is_one_line_exit_2(args):
    done = run_cli("zone", *args)
    assert done.returncode == 2 and done.stdout == ""
    assert len(done.stderr.splitlines()) == 1 and done.stderr.startswith("error: invalid")
    if args[0] == "--speed":
        assert "--pace 5:30" in done.stderr


def test_zone_pace_and_speed_are_exclusive():
    done = run_cli("zone", "--pace", "5:30", "--speed", "3")
    assert done.returncode == 2 and "not allowed with" in done.stderr


def test_zone_runs_store(store, capsys):
    runner = store.runs["runner_id"].sort()[0]
    assert main(["zone", "--pace", "7:00", "--runs", str(store.path), "--runner", runner]) == 0
    out = capsys.readouterr().out
    assert "population" not in out.splitlines()[1]  # the runner's own runs were used
    assert main(["zone", "--pace", "7:00", "--runs", str(store.path), "--runner", "nobody"]) == 2
    err = capsys.readouterr().err
    assert "no runner 'nobody'" in err and runner in err
    assert main(["zone", "--pace", "7:00", "--runs", str(store.path)]) == 2  # two runners
    assert "name one with --runner" in capsys.readouterr().err
    assert main(["zone", "--pace", "7:00", "--runs", str(store.path / "nothing")]) == 2
    assert "no such store or file" in capsys.readouterr().err


def test_plan_needs_a_cadence_or_runs(store, tmp_path, capsys):
    out = tmp_path / "plan"
    assert main(["plan", "--start", "2026-03-02", "--weeks", "1", "--out", str(out)]) == 2
    assert "--cadence" in capsys.readouterr().err and not out.exists()
    runner = store.runs["runner_id"].sort()[0]
    assert main(["plan", "--start", "2026-03-02", "--weeks", "2", "--out", str(out),
                 "--runs", str(store.path), "--runner", runner, "--metronome-s", "2"]) == 0
    runs = store.runs.filter(pl.col("runner_id") == runner, pl.col("easy"))
    habitual = float(runs["cadence_spm"].median())
    assert f"{habitual:.0f} steps/min" in capsys.readouterr().err
    plan = pl.read_csv(out / "plan.csv")
    assert plan["cadence_target_spm"].drop_nulls().min() >= habitual


def test_lab_passes_unknown_options_to_jupyter(monkeypatch, tmp_path):
    seen = []
    monkeypatch.setattr("runlab.lab.run_server", lambda cmd, env, cwd=None: seen.append(cmd) or 0)
    monkeypatch.setenv("RUNLAB_CACHE", str(tmp_path))
    assert main(["lab", "--no-browser", "--ip=0.0.0.0", "--ServerApp.token=x"]) == 0
    assert main(["lab", "--no-browser", "--", "--ip=0.0.0.0"]) == 0
    assert seen[0][-2:] == ["--ip=0.0.0.0", "--ServerApp.token=x"]
    assert seen[1][-1] == "--ip=0.0.0.0" and "--" not in seen[1]
    with pytest.raises(SystemExit) as exc:  # other commands still refuse unknown options
        main(["zone", "--pace", "5:30", "--ip=0.0.0.0"])
    assert exc.value.code == 2


def test_run_server_stops_its_child_on_sigterm(tmp_path):
    from runlab.lab import run_server

    flag = tmp_path / "stopped"
    child = ("import signal, sys, time\n"
             f"signal.signal(signal.SIGTERM, lambda *a: (open({str(flag)!r}, 'w').close(),"
             " sys.exit(0)))\n"
             f"open({str(tmp_path / 'ready')!r}, 'w').close()\n"
             "time.sleep(300)\n")

    def terminate_us_when_ready():
        while not (tmp_path / "ready").exists():
            threading.Event().wait(0.05)
        os.kill(os.getpid(), signal.SIGTERM)

    before = signal.getsignal(signal.SIGTERM)
    threading.Thread(target=terminate_us_when_ready, daemon=True).start()
    assert run_server([sys.executable, "-c", child], {}) == 0
    assert flag.exists()
    assert signal.getsignal(signal.SIGTERM) == before  # our handler is gone again


@pytest.fixture(scope="module")
def flat(tmp_path_factory):
    """One runner's files in a flat folder (no runner sub-folders, no mapping)."""
    from test_cohort import fit_run

    root = tmp_path_factory.mktemp("flat")
    return [fit_run(root / "in" / f"run{i}.fit", seed=i, day=i) for i in range(3)]


def test_ingest_of_a_flat_folder_needs_a_runner(flat, tmp_path, capsys):
    folder = str(flat[0].parent)
    assert main(["ingest", folder, str(tmp_path / "store"), "--quiet", "--workers", "1"]) == 2
    err = capsys.readouterr().err
    assert "no runner" in err and "--runner" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "store").exists()  # refused before writing anything
    assert main(["ingest", folder, str(tmp_path / "store"), "--runner", "ana", "--quiet",
                 "--workers", "1"]) == 0
    from runlab.cohort import Store

    runs = Store(tmp_path / "store").runs
    assert runs.height == 3 and runs["runner_id"].to_list() == ["ana"] * 3


def test_library_ingest_never_stores_a_null_runner(flat, tmp_path):
    from runlab.errors import UnnamedRunnerError

    with pytest.raises(UnnamedRunnerError, match="3 file"):
        ingest(flat, tmp_path / "store", workers=1, progress=False)
    assert not (tmp_path / "store").exists()
    nested = ingest(flat[:1], tmp_path / "store", runner="bo", workers=1, progress=False)
    assert nested.runs["runner_id"].to_list() == ["bo"]


def test_add_files_of_one_runner(store, flat, tmp_path, capsys):
    import shutil

    copy = tmp_path / "store"
    shutil.copytree(store.path, copy)
    assert main(["add", *map(str, flat[:2]), "--runner", "cleo", "--store", str(copy),
                 "--quiet", "--workers", "1"]) == 0
    from runlab.cohort import Store

    runs = Store(copy).runs
    assert runs.filter(pl.col("runner_id") == "cleo").height == 2
    assert runs.height == store.runs.height + 2 and runs["runner_id"].null_count() == 0
    with pytest.raises(SystemExit):  # --runner is required
        main(["add", str(flat[2]), "--store", str(copy)])


@pytest.mark.parametrize("bad", ["missing.csv", "empty.csv", "binary.fit", "text.md"])
def test_zone_and_plan_runs_from_bad_files_are_one_line(bad, tmp_path, capsys):
    (tmp_path / "empty.csv").write_bytes(b"")
    (tmp_path / "binary.fit").write_bytes(bytes(range(256)) * 4)
    (tmp_path / "text.md").write_text("# notes\nnot, a, table, of\nruns\n")
    path = str(tmp_path / bad)
    assert main(["zone", "--pace", "6:00", "--runs", path]) == 2
    assert main(["plan", "--start", "2026-03-02", "--out", str(tmp_path / "p"), "--runs",
                 path]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and all(line.startswith("error: ") and bad in line for line in err)


def test_export_without_zones_warns_and_can_drop_positions(store, tmp_path, capsys):
    assert main(["export", str(store.path), str(tmp_path / "a")]) == 0
    err = capsys.readouterr().err
    assert "no private zones" in err and "--drop-positions" in err
    assert main(["export", str(store.path), str(tmp_path / "b"), "--drop-positions"]) == 0
    assert "no private zones" not in capsys.readouterr().err
    from runlab.cohort import Store

    kept = Store(tmp_path / "a").records.select("lat_deg").collect()["lat_deg"]
    dropped = Store(tmp_path / "b").records.collect()
    assert kept.null_count() < kept.len()  # the plain export keeps most of the track
    assert dropped["lat_deg"].null_count() == dropped.height
    assert dropped["lon_deg"].null_count() == dropped.height
    assert dropped["position_masked"].any()


def test_an_unexpected_error_is_one_line(monkeypatch, capsys):
    def boom(args):
        raise KeyError("surprise")

    monkeypatch.setattr("runlab.cli.cmd_zone", boom)
    monkeypatch.delenv("RUNLAB_DEBUG", raising=False)
    from runlab import cli

    parser = cli.build_parser()
    monkeypatch.setattr(cli, "build_parser", lambda: parser)
    parser._subparsers._group_actions[0].choices["zone"].set_defaults(func=boom)
    assert main(["zone", "--pace", "6:00"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "surprise" in err[0] and "RUNLAB_DEBUG" in err[0]


def test_ingest_from_a_script_without_main_guard_names_the_fix(flat, tmp_path):
    script = tmp_path / "noguard.py"
    script.write_text("import sys, runlab\n"
                      "runlab.ingest(sys.argv[1], sys.argv[2], runner='ana', workers=1,"
                      " progress=False)\n")
    done = subprocess.run([sys.executable, str(script), str(flat[0].parent),
                           str(tmp_path / "store")], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode != 0
    assert 'if __name__ == "__main__":' in done.stderr.splitlines()[-1]
