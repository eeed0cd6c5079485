"""runlab.schema and runlab.errors: canonical frames and clear messages."""

import pickle

import polars as pl
import pytest

import runlab
from runlab import errors, schema


def test_conform_adds_missing_columns_as_nulls_and_keeps_extras():
    frame = pl.DataFrame({"speed_mps": [3.0, 3.1], "dev_power_w": [200.0, 210.0],
                          "timestamp": [0, 1_000_000]}).with_columns(
        pl.col("timestamp").cast(pl.Datetime("us", "UTC")))
    out = schema.conform(frame, "records")
    assert out.columns[: len(schema.RECORDS)] == list(schema.RECORDS)
    assert out.columns[-1] == "dev_power_w"
    assert out["speed_mps"].dtype == pl.Float64
    assert out["cadence_spm"].null_count() == 2
    schema.validate(out, "records")


def test_validate_names_the_wrong_column():
    frame = schema.empty("runs").with_columns(pl.col("cadence_spm").cast(pl.String))
    with pytest.raises(errors.SchemaError, match="'cadence_spm' is String.*Float64"):
        schema.validate(frame, "runs")
    with pytest.raises(errors.SchemaError, match="lacks column 'runner_id'"):
        schema.validate(schema.empty("runs").drop("runner_id"), "runs")
    with pytest.raises(ValueError, match="unknown frame kind 'laps'"):
        schema.validate(pl.DataFrame(), "laps")


def test_validate_requires_sorted_timestamps():
    frame = schema.conform(pl.DataFrame({"timestamp": [2_000_000, 1_000_000]}).with_columns(
        pl.col("timestamp").cast(pl.Datetime("us", "UTC"))), "records")
    with pytest.raises(errors.SchemaError, match="not sorted"):
        schema.validate(frame, "records")


@pytest.mark.parametrize(("column", "title"), [
    ("speed_mps", "Speed [m/s]"), ("cadence_spm", "Cadence [steps/min]"),
    ("stance_time_ms", "Stance time [ms]"), ("humidity_pct", "Humidity [%]"),
    ("runner_id", "Runner id"),
])
def test_axis_title_from_unit_suffix(column, title):
    assert schema.axis_title(column) == title


def test_read_errors_name_the_file_and_survive_pickling():
    exc = errors.TruncatedFileError("/x/run.fit", "ends at byte 10 of 200")
    assert str(exc) == "/x/run.fit: ends at byte 10 of 200"
    assert isinstance(exc, ValueError) and isinstance(exc, errors.CorruptFileError)
    again = pickle.loads(pickle.dumps(exc))
    assert type(again) is errors.TruncatedFileError and again.path == "/x/run.fit"


def test_read_rejects_empty_missing_and_unknown_files(tmp_path):
    empty = tmp_path / "empty.fit"
    empty.write_bytes(b"")
    with pytest.raises(errors.ReadError, match="empty.fit: the file is empty"):
        runlab.read(empty)
    with pytest.raises(errors.ReadError, match="nope.fit: cannot open"):
        runlab.read(tmp_path / "nope.fit")
    junk = tmp_path / "junk.bin"
    junk.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(errors.UnsupportedFormatError, match="junk.bin"):
        runlab.read(junk)


def test_public_api_names_resolve():
    assert callable(runlab.clean) and callable(runlab.read) and callable(runlab.read_activity)
    with pytest.raises(AttributeError):
        runlab.not_a_name  # noqa: B018
