"""The ``runlab`` command: ``runlab info FILE``, ``runlab demo``, ``runlab ingest`` ...

Each subcommand is a small function ``cmd_<name>(args) -> int`` registered in
:func:`build_parser`; the work itself is done by library functions.
"""

from __future__ import annotations

import argparse
import sys

from runlab.errors import ReadError


def cmd_info(args: argparse.Namespace) -> int:
    """Print sport, start, duration, distance, pace and running cadence of each file; a file
    that cannot be read gets one line on stderr. Exit 1 when any failed."""
    import warnings

    from runlab.errors import RunlabWarning, WorkerCrashed
    from runlab.io.isolated import read_activity_isolated
    from runlab.isolation import IsolatedPool
    from runlab.pace import default_units

    failed = 0
    with IsolatedPool(1) as pool:  # each file read in a worker, under hard limits
        for path in args.files:
            try:
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always", RunlabWarning)
                    act = read_activity_isolated(path, strict=not args.lenient, pool=pool,
                                                 time_limit_s=args.time_limit_s,
                                                 memory_limit_mib=args.memory_limit_mib)
            except (ReadError, OSError, WorkerCrashed) as exc:
                print(f"error: {_one_line(exc, path)}", file=sys.stderr)
                failed += 1
                continue
            for w in caught:
                print(f"note: {w.message}", file=sys.stderr)
            print(_describe(act, args.units or default_units()), flush=True)
    if failed and len(args.files) > 1:
        print(f"{failed} of {len(args.files)} files could not be read", file=sys.stderr)
    return 1 if failed else 0


def _one_line(exc: BaseException, path: str) -> str:
    """An error as one line that names the file (OSError's own text or the reader's)."""
    if isinstance(exc, OSError) and not isinstance(exc, ReadError):
        return f"{path}: {exc.strerror or exc}"
    text = " ".join(str(exc).split())
    return text if str(path) in text else f"{path}: {text}"


def cmd_archive(args: argparse.Namespace) -> int:
    """One line per activity in a Strava/Garmin bulk-export zip, read in memory."""
    from runlab.io.archive import read_archive

    bad = 0
    try:
        for name, act in read_archive(args.file):
            if isinstance(act, ReadError):
                bad += 1
                print(f"{name}\terror: {act.reason}")
                continue
            start = act.meta.get("start_time")
            print(f"{name}\t{act.sport or '-'}\t{start:%Y-%m-%d %H:%M} UTC\t"
                  f"{act.records.height} records\t{act.meta.get('name') or ''}"
                  if start else f"{name}\t{act.sport or '-'}\t-\t{act.records.height} records")
    except ReadError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 1 if bad else 0


def _describe(act, units: str = "km") -> str:
    import polars as pl

    from runlab.pace import UNITS, format_duration, format_pace

    rec = act.records
    times = rec["timestamp"].drop_nulls()
    start = times.min() if times.len() else None
    duration = (times.max() - start).total_seconds() if start is not None else None
    distance, derived = rec["distance_m"].drop_nulls(), ""
    if not distance.len() and rec["lat_deg"].drop_nulls().len():  # clean derives it
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            distance, derived = act.clean()["distance_m"].drop_nulls(), " (from positions)"
    metres = float(distance.max()) if distance.len() else None
    running = rec.filter(pl.col("cadence_spm") >= 140)["cadence_spm"]  # the walk/run cadence threshold (runlab.clean)
    lines = [
        f"file:      {act.path}",
        f"sport:     {act.sport or 'unknown'}" + (f" ({act.meta.get('sub_sport')})"
                                                  if act.meta.get("sub_sport") else ""),
        f"start:     {start:%Y-%m-%d %H:%M:%S} UTC" if start else "start:     - (no timestamps)",
        f"duration:  {format_duration(duration)}",
        f"distance:  {metres / UNITS[units]:.2f} {units}{derived}" if metres
        else "distance:  -",
        f"pace:      {format_pace(metres / duration, units)} (elapsed time)"
        if metres and duration else "pace:      -",
        f"cadence:   {running.mean():.1f} steps/min (running samples)" if running.len()
        else "cadence:   - (no running cadence)",
        f"records:   {rec.height}" + (" (partial: file is damaged)" if act.partial else ""),
    ]
    return "\n".join(lines)


def cmd_demo(args: argparse.Namespace) -> int:
    """Run the whole pipeline on the embedded sample and demo cohort; write the report."""
    from runlab.demo import demo_cached, run_demo

    print("runlab demo: reading the sample runner and the demo cohort"
          + (" (cached)..." if demo_cached() else
             " (this first run simulates and ingests them, about a minute)..."), flush=True)
    result = run_demo(args.out, workers=args.workers)
    print(result.summary())
    return 0


def cmd_lab(args: argparse.Namespace) -> int:
    """Open JupyterLab on the curated notebooks; jupytext ``.py`` files open as notebooks."""
    from runlab.lab import lab_command, run_server

    cmd, env = lab_command(args.notebooks, port=args.port, open_browser=not args.no_browser,
                           extra=args.extra)
    return run_server(cmd, env)


def cmd_plan(args: argparse.Namespace) -> int:
    """Write a clinic (or maintenance) plan as CSV, ICS, FIT workouts and metronome WAVs."""
    from runlab import plan

    if args.cadence is None and args.runs is None:
        print("error: give the runner's habitual easy-run cadence (--cadence SPM) or their "
              "runs (--runs STORE|FILE --runner NAME) to derive it", file=sys.stderr)
        return 2
    if args.cadence is None:
        try:
            history = _runner_runs(args.runs, args.runner)
        except (OSError, ValueError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        args.cadence = _habitual_easy_cadence(history)
        print(f"habitual easy-run cadence of {args.runner}: {args.cadence:.0f} steps/min "
              f"(median of {history.height} runs)", file=sys.stderr)
    try:
        if args.maintenance:
            frame = plan.maintenance(args.start, args.weeks, runner=args.runner,
                                     days_per_week=args.days, target_cadence=args.cadence)
        else:
            frame = plan.clinic(args.start, args.weeks, runner=args.runner,
                                days_per_week=args.days, technique_days=args.technique_days,
                                habitual_cadence_spm=args.cadence, boost=args.boost)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    files = plan.export(frame, args.out, metronome_s=args.metronome_s)
    print(f"{frame.height} sessions over {args.weeks} weeks -> {args.out}: "
          + ", ".join(f"{len(v)} {k.upper()}" for k, v in files.items()))
    return 0


def cmd_ingest(args: argparse.Namespace) -> int:
    """Ingest a folder, export zip or files into a parquet store; print a closing summary."""
    import os

    from runlab.cohort import ingest

    key = os.environ.get(args.key_env) if args.key_env else None
    if args.key_env and not key:
        print(f"error: environment variable {args.key_env} is empty or unset", file=sys.stderr)
        return 2
    client = None
    if args.scheduler:
        from distributed import Client

        client = Client(args.scheduler)
    try:
        store = ingest(args.source if len(args.source) > 1 or not args.source else
                       args.source[0], args.store, runners=args.runners,
                       runner=args.runner, client=client,
                       workers=args.workers, progress=not args.quiet,
                       pseudonymize_key=key, retry_errors=args.retry_errors,
                       time_limit_s=args.time_limit_s, memory_limit_mib=args.memory_limit_mib)
    except (OSError, RuntimeError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        if client is not None:
            client.close()
    print(store.last_report.summary())
    print(f"store {store.path}: {store.runs.height} runs, {store.errors.height} errors, "
          f"{store.journal.height} journal rows")
    return 0


def cmd_add(args: argparse.Namespace) -> int:
    """Add one runner's new files (this week's runs) to a store: ``ingest`` with ``--runner``."""
    args.source, args.runners, args.scheduler, args.key_env = args.files, None, None, None
    args.retry_errors = False
    return cmd_ingest(args)


def cmd_export(args: argparse.Namespace) -> int:
    """Export a store for sharing: positions masked, ids pseudonymised, notes dropped."""
    import os

    from runlab.cohort import export
    from runlab.privacy import zones_from_csv

    try:
        zones = zones_from_csv(args.zones) if args.zones else []
        zones += [tuple(float(v) for v in z.split(",")) for z in args.zone]
        key = os.environ.get(args.key_env) or None
        out = export(args.store, args.out, zones=zones, radius_m=args.radius_m,
                     trim_start_end_m=args.trim_m, key=key, mask=not args.no_mask,
                     pseudonymize=not args.no_pseudonymize, include_notes=args.include_notes,
                     drop_positions=args.drop_positions)
    except (OSError, RuntimeError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not zones and not args.drop_positions and not args.no_mask:
        print("warning: no private zones given (--zone LAT,LON or --zones CSV): only the "
              "first and last stretch of each run is hidden and the rest of every track is "
              "kept; name home/work zones, or use --drop-positions to share no positions",
              file=sys.stderr)
    if args.for_r:
        from runlab.cohort import export_for_r

        try:
            book = export_for_r(out, args.for_r, fmt=args.r_format)
        except (OSError, ValueError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        print(f"R tables ({args.r_format}) and codebook ({book.height} columns) in {args.for_r}")
    if key is None and not args.no_pseudonymize:
        print(f"note: ${args.key_env} not set; ids use a random key and cannot be linked back",
              file=sys.stderr)
    print(f"exported {out.runs.height} runs, {out.journal.height} journal rows to {out.path}"
          + (" (all positions dropped)" if args.drop_positions else
             f" ({len(zones)} private zones, start/end trimmed"
             f"{'' if not args.no_mask else ': masking OFF'})"))
    return 0


def cmd_coach(args: argparse.Namespace) -> int:
    """Serve the coach dashboard with Voila on 127.0.0.1."""
    from runlab.lab import run_server
    from runlab.widgets.coach import coach_command

    if args.store is None:
        from runlab.demo import demo_cached

        if not demo_cached():
            print("runlab coach: building the demo store once into runlab's cache "
                  "(about a minute; later starts only open it)...", flush=True)
    cmd, env, cwd = coach_command(store=args.store, journal=args.journal,
                                  exports=args.exports, runner=args.runner, port=args.port,
                                  open_browser=not args.no_browser, units=args.units)
    print(f"runlab coach: http://127.0.0.1:{args.port}/ (Ctrl-C stops)")
    return run_server(cmd, env, cwd)


def cmd_zone(args: argparse.Namespace) -> int:
    """Print a personal target cadence zone at a pace (runlab.models.targets.cadence_zone)."""
    import warnings

    from runlab.errors import RunlabWarning
    from runlab.models import cadence_zone
    from runlab.pace import default_units, format_pace, parse_pace

    try:
        speed = parse_pace(args.pace) if args.pace else _speed(args.speed)
        units = args.units or ("mi" if args.pace and args.pace.strip().lower().endswith("mi")
                               else default_units())  # the unit the pace was typed in
        history = _runner_runs(args.runs, args.runner) if args.runs else None
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", RunlabWarning)
            zone = cadence_zone(history, speed, boost=tuple(args.boost), height_m=args.height,
                                units=units)
    except (OSError, ValueError) as exc:  # ModelError is a ValueError
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for w in caught:
        print(f"note: {w.message}", file=sys.stderr)
    print(f"pace {format_pace(speed, units)} ({speed:.2f} m/s): target "
          f"{zone.target_low_spm:.0f}-{zone.target_high_spm:.0f} steps/min")
    print(zone.explanation)
    return 0


def _speed(text: str) -> float:
    """``--speed`` [m/s]; a pace typed there gets a hint to use ``--pace``."""
    try:
        return float(text)
    except ValueError:
        hint = f" (for a pace use --pace {text})" if ":" in text else ""
        raise ValueError(f"invalid speed {text!r}; allowed: a number in m/s{hint}") from None


def _runner_runs(path: str, runner: str | None):
    """Run summaries of one runner from a store folder, a parquet or a CSV file; an
    unknown runner (or none named when there are several) is refused with the known ids."""
    import os

    import polars as pl

    from runlab.errors import SchemaError

    if not os.path.exists(path):
        raise FileNotFoundError(f"{path}: no such store or file")
    if os.path.isdir(path):
        from runlab.cohort import Store

        runs = Store(path).runs
    else:
        try:
            runs = (pl.read_parquet(path) if str(path).endswith(".parquet")
                    else pl.read_csv(path))
        except (pl.exceptions.PolarsError, OSError) as exc:
            first = " ".join(str(exc).split("\n")[0].split())
            raise SchemaError(f"{path}: not a table of run summaries (a store folder, "
                              f"CSV or parquet): {first}") from None
    missing = {"speed_mps", "cadence_spm"} - set(runs.columns)
    if missing:
        raise SchemaError(f"{path}: no run summaries (lacks {', '.join(sorted(missing))})")
    if "runner_id" not in runs.columns:
        return runs
    known = runs["runner_id"].drop_nulls().unique().sort().to_list()
    if runner is None and len(known) > 1:
        raise ValueError(f"{path} holds {len(known)} runners; name one with --runner "
                         f"(e.g. {', '.join(known[:5])})")
    runner = runner if runner is not None else (known[0] if known else None)
    if runner not in known:
        raise ValueError(f"{path}: no runner {runner!r}; known: {', '.join(known[:10])}"
                         + (f" and {len(known) - 10} more" if len(known) > 10 else ""))
    return runs.filter(pl.col("runner_id") == runner)


def _habitual_easy_cadence(runs) -> float:
    """Median cadence [steps/min] of a runner's easy runs (all runs when none is marked)."""
    import polars as pl

    if "easy" in runs.columns and runs["easy"].any():
        runs = runs.filter(pl.col("easy"))
    cadence = runs["cadence_spm"].drop_nulls()
    if not cadence.len():
        raise ValueError("no run with a cadence to derive the habitual one from; "
                         "give --cadence")
    return float(cadence.median())


def cmd_journal(args: argparse.Namespace) -> int:
    """Check a training journal: every bad row with its line, field and what is allowed."""
    from runlab.errors import JournalError
    from runlab.journal import for_export, read_journal, write

    try:
        frame, problems = read_journal(args.file, errors="collect")
    except (OSError, JournalError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for line, field, message in problems:
        print(f"{args.file}:{line}: {field}: {message}")
    print(f"{args.file}: {frame.height} good entries, {len(problems)} problem(s) in "
          f"{len({p[0] for p in problems})} row(s)", file=sys.stderr)
    if args.export:
        write(args.export, for_export(frame, include_notes=args.include_notes),
              escape_formulas=True)
        print(f"wrote {frame.height} entries to {args.export}"
              f"{'' if args.include_notes else ' (notes and video paths left out)'}",
              file=sys.stderr)
    return 1 if problems else 0


def cmd_simulate(args: argparse.Namespace) -> int:
    """Simulate a cohort with known truth and write it as FIT/TCX/GPX files + journal."""
    from runlab import simulate

    c = simulate.cohort(args.runners, args.weeks, tuple(args.groups), seed=args.seed,
                        model=args.model)
    folder = c.write(args.out, workers=args.workers)
    print(f"wrote {c.runs.height} runs of {c.runners.height} runners to {folder} "
          "(truth: runners.csv, runs_truth.csv)")
    return 0


def _units_option(p: argparse.ArgumentParser) -> None:
    from runlab.pace import default_units

    p.add_argument("--units", choices=("km", "mi"), default=None,
                   help="pace and distance per km or per mile (default: RUNLAB_UNITS or the "
                        f"locale; now {default_units()})")


def _limit_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--time-limit-s", type=float, default=None,
                   help="wall-clock limit of reading one file [s] (default 10 + 5 per MiB; "
                        "0: none)")
    p.add_argument("--memory-limit-mib", type=float, default=None,
                   help="memory cap of reading one file [MiB] (default 1024 + 64 per MiB; "
                        "0: none)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="runlab", description="runlab: running technique data, models and notebooks.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("info", help="describe activity files")
    p.add_argument("files", nargs="+")
    _units_option(p)
    p.add_argument("--lenient", action="store_true",
                   help="read the sound part of a truncated or damaged file (marked partial)")
    _limit_options(p)
    p.set_defaults(func=cmd_info)
    p = sub.add_parser("archive", help="list the activities of a bulk-export zip (in memory)")
    p.add_argument("file")
    p.set_defaults(func=cmd_archive)
    p = sub.add_parser("demo", help="run the pipeline on the sample data; write a report")
    p.add_argument("--out", default="runlab-report", help="report folder (default: %(default)s)")
    p.add_argument("--workers", type=int, default=None, help="worker processes for ingest")
    p.set_defaults(func=cmd_demo)
    p = sub.add_parser("lab", help="open JupyterLab on the runlab notebooks")
    p.add_argument("--notebooks", default=None, help="folder to open (default: runlab's notebooks)")
    p.add_argument("--port", type=int, default=None)
    p.add_argument("--no-browser", action="store_true")
    p.set_defaults(func=cmd_lab, extra=[])  # unknown options go to jupyter lab (main)
    p = sub.add_parser("plan", help="write a clinic plan: CSV, ICS, FIT workouts, metronome WAVs")
    p.add_argument("--start", required=True, help="first day, YYYY-MM-DD")
    p.add_argument("--weeks", type=int, default=8)
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--runner", default="runner")
    p.add_argument("--days", type=int, default=4, help="sessions per week (3-6)")
    p.add_argument("--technique-days", type=int, default=1, choices=(1, 2))
    p.add_argument("--cadence", type=float, default=None,
                   help="habitual easy-run cadence [steps/min] (maintenance: the target); "
                        "else derived from --runs")
    p.add_argument("--runs", help="store folder or run summaries (CSV/parquet) of --runner: "
                                  "the median cadence of their easy runs is the habitual one")
    p.add_argument("--boost", type=float, default=0.05, help="target boost, 0-0.15")
    p.add_argument("--maintenance", action="store_true", help="rotating maintenance plan")
    p.add_argument("--metronome-s", type=float, default=120.0, help="WAV length [s]")
    p.set_defaults(func=cmd_plan)
    p = sub.add_parser("ingest", help="ingest activity files into a parquet store (incremental)")
    p.add_argument("source", nargs="+", help="folder, bulk-export zip, or files")
    p.add_argument("store", help="store folder (created if needed)")
    p.add_argument("--runners", help="CSV with columns path,runner_id (else folder layout)")
    p.add_argument("--runner", help="runner id of files without one (a flat folder, one "
                                    "runner's export); without it such files are refused")
    p.add_argument("--workers", type=int, default=None, help="worker processes (default: CPUs)")
    p.add_argument("--scheduler", help="Dask scheduler address: run on that cluster")
    p.add_argument("--key-env", help="pseudonymise runner ids with the key in this env variable")
    p.add_argument("--retry-errors", action="store_true", help="read failed files again")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    _limit_options(p)
    p.set_defaults(func=cmd_ingest)
    p = sub.add_parser("add", help="add one runner's new files to a store")
    p.add_argument("files", nargs="+", help="activity files (FIT, TCX, GPX, ...) or zips")
    p.add_argument("--runner", required=True, help="whose files these are (runner id)")
    p.add_argument("--store", required=True, help="store folder (created if needed)")
    p.add_argument("--workers", type=int, default=None, help="worker processes")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    _limit_options(p)
    p.set_defaults(func=cmd_add)
    p = sub.add_parser("export", help="copy a store for sharing: masked, pseudonymised")
    p.add_argument("store")
    p.add_argument("out", help="new or empty folder")
    p.add_argument("--zones", help="CSV of private places: lat_deg,lon_deg[,radius_m]")
    p.add_argument("--zone", action="append", default=[], metavar="LAT,LON[,RADIUS_M]",
                   help="a private place (repeatable)")
    p.add_argument("--radius-m", type=float, default=None, help="zone radius [m] (200)")
    p.add_argument("--trim-m", type=float, default=None,
                   help="positions removed at start and end of each run [m] (200)")
    p.add_argument("--key-env", default="RUNLAB_KEY",
                   help="env variable holding the pseudonym key (default RUNLAB_KEY)")
    p.add_argument("--include-notes", action="store_true", help="keep journal notes/videos")
    p.add_argument("--no-mask", action="store_true", help="do not mask positions")
    p.add_argument("--drop-positions", action="store_true",
                   help="remove every position (no track at all is shared)")
    p.add_argument("--no-pseudonymize", action="store_true", help="keep runner ids")
    p.add_argument("--for-r", metavar="DIR", help="also write the exported runs and journal "
                   "for R (lme4/brms) with a codebook into DIR (new or empty)")
    p.add_argument("--r-format", choices=("csv", "parquet"), default="csv",
                   help="table format of --for-r (default csv)")
    p.set_defaults(func=cmd_export)
    p = sub.add_parser("zone", help="target cadence zone at a pace, from a runner's runs")
    at = p.add_mutually_exclusive_group(required=True)
    at.add_argument("--pace", help="pace of the zone, M:SS[/km|/mi] (bare: per km)")
    at.add_argument("--speed", help="speed of the zone [m/s]")
    p.add_argument("--runs", help="store folder (runlab ingest) or run summaries (CSV or "
                                  "parquet: speed_mps, cadence_spm, runner_id)")
    p.add_argument("--runner", help="runner_id within --runs (refused if unknown)")
    _units_option(p)
    p.add_argument("--height", type=float, default=None, help="stature [m]")
    p.add_argument("--boost", type=float, nargs=2, default=(0.05, 0.10), metavar=("LOW", "HIGH"),
                   help="step-up above habitual cadence [fraction] (0.05 0.10)")
    p.set_defaults(func=cmd_zone)
    p = sub.add_parser("coach", help="serve the coach dashboard (Voila) on 127.0.0.1")
    p.add_argument("--store", help="cohort store from `runlab ingest` (default: the demo "
                                   "store, built once into runlab's cache)")
    p.add_argument("--journal", default="coach-journal.csv", help="journal file to append to")
    p.add_argument("--exports", default="coach-exports", help="folder for exported files")
    p.add_argument("--runner", help="runner_id to tune first")
    _units_option(p)
    p.add_argument("--port", type=int, default=8866)
    p.add_argument("--no-browser", action="store_true")
    p.set_defaults(func=cmd_coach)
    p = sub.add_parser("simulate", help="write a simulated cohort with known truth")
    p.add_argument("out", help="output folder: <out>/<runner_id>/<date>_<session>.fit ...")
    p.add_argument("--runners", type=int, default=40)
    p.add_argument("--weeks", type=int, default=12)
    p.add_argument("--groups", nargs="+", default=["control", "cadence+7.5%"])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--model", choices=("clinic", "mixed"), default="clinic")
    p.add_argument("--workers", type=int, default=None, help="writer processes")
    p.set_defaults(func=cmd_simulate)
    p = sub.add_parser("journal", help="check a training journal (CSV, JSON Lines, xlsx)")
    p.add_argument("file")
    p.add_argument("--export", help="write the good entries here (.csv or .jsonl)")
    p.add_argument("--include-notes", action="store_true",
                   help="keep free-text notes and video paths in --export")
    p.set_defaults(func=cmd_journal)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown and args.command != "lab":
        parser.parse_args(argv)  # the usual "unrecognized arguments" message, exit 2
    if unknown:  # `runlab lab --ip=0.0.0.0` or `runlab lab -- --ip=0.0.0.0`
        args.extra = [a for a in unknown if a != "--"]
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # never a traceback for user input; RUNLAB_DEBUG=1 shows it
        import os

        if os.environ.get("RUNLAB_DEBUG"):
            raise
        text = " ".join(str(exc).split()) or type(exc).__name__
        print(f"error: {text} ({type(exc).__name__}; RUNLAB_DEBUG=1 shows where)",
              file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
