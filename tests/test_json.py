"""Platform JSON: the corpus's Strava streams (with its activity truth) and Nike Run export."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pytest
from conftest import corpus_params

from runlab import schema
from runlab.errors import CorruptFileError, NotAnActivityError, UnsupportedFormatError
from runlab.io import read_activity
from runlab.io import read_activity_bytes as read_any_bytes
from runlab.io.json import read_activity_bytes

UTC = dt.UTC


@pytest.mark.parametrize(("rel", "fact"), corpus_params("json"))
def test_corpus_json_reads(corpus, rel, fact):
    act = read_activity(corpus / rel)
    schema.validate(act.records, "records")
    assert act.meta["format"] == "json" and act.records.height > 500


def test_strava_streams_match_the_activity_truth(corpus):
    truth = json.loads((corpus / "truth/runpandas__strava_activity.json").read_text())
    data = (corpus / "files/other/runpandas__strava_streams.json").read_bytes()
    start = dt.datetime.fromisoformat(truth["start_date"].replace("Z", "+00:00"))
    act = read_activity_bytes(data, "streams.json", start_time=start)
    rec = act.records
    assert rec["timestamp"][0] == start
    assert rec["elapsed_s"][-1] == truth["elapsed_time"]
    assert rec["distance_m"][-1] == truth["distance"]
    assert (rec["lat_deg"][0], rec["lon_deg"][0]) == tuple(truth["start_latlng"])
    assert (rec["lat_deg"][-1], rec["lon_deg"][-1]) == tuple(truth["end_latlng"])
    assert rec["speed_mps"].max() == pytest.approx(truth["max_speed"])
    # the cadence stream of a run is per leg: 79 → 158 steps/min
    raw = json.loads(data)["cadence"]["data"]
    assert rec["cadence_spm"][0] == 2 * raw[0] == 158
    moving = np.array(json.loads(data)["moving"]["data"])
    dt_s = np.diff(rec["elapsed_s"].to_numpy())
    assert dt_s[moving[1:]].sum() == pytest.approx(truth["moving_time"], abs=60)


def test_nike_run_union_of_sample_times(corpus):
    doc = json.loads((corpus / "files/other/runpandas__sample_nikerun.json").read_text())
    act = read_activity(corpus / "files/other/runpandas__sample_nikerun.json")
    rec = act.records
    assert act.sport == "running" and act.meta["profile"] == "nike_run"
    assert rec["timestamp"].is_sorted() and rec["timestamp"].n_unique() == rec.height
    metrics = {m["type"]: m["values"] for m in doc["metrics"]}
    assert rec["heart_rate_bpm"].drop_nulls().len() == len(
        {v["end_epoch_ms"] for v in metrics["heart_rate"]})
    km = sum(v["value"] for v in metrics["distance"])
    assert rec["distance_m"].drop_nulls()[-1] == pytest.approx(km * 1000)
    first = metrics["speed"][0]
    t = dt.datetime.fromtimestamp(first["end_epoch_ms"] / 1000, UTC)
    assert rec.filter(rec["timestamp"] == t)["speed_mps"][0] == pytest.approx(first["value"] / 3.6)
    cad = rec["cadence_spm"].drop_nulls()
    assert 120 < cad.median() < 200


def test_streams_as_list_and_bad_documents():
    streams = [{"type": "time", "data": [0, 1, 2]}, {"type": "heartrate", "data": [90, None, 92]},
               {"type": "latlng", "data": [[1.0, 2.0], [], [1.0, 2.00001]]}]
    rec = read_any_bytes(json.dumps(streams).encode(), "s.json").records
    assert rec["heart_rate_bpm"].to_list() == [90.0, None, 92.0]
    assert rec["lat_deg"].to_list() == [1.0, None, 1.0]
    with pytest.raises(CorruptFileError, match="stream 'heartrate' has 2 values"):
        read_activity_bytes(json.dumps({"time": {"data": [0, 1, 2]},
                                        "heartrate": {"data": [1, 2]}}).encode(), "b.json")
    with pytest.raises(UnsupportedFormatError, match="x.json"):
        read_any_bytes(b'{"hello": 1}', "x.json")
    with pytest.raises(CorruptFileError, match="malformed JSON"):
        read_activity_bytes(b'{"time": ', "m.json")
    with pytest.raises(CorruptFileError, match="malformed JSON"):
        read_activity_bytes(b"[" * 100_000 + b"]" * 100_000, "deep.json")
    with pytest.raises(NotAnActivityError, match="without sampled metrics"):
        read_activity_bytes(b'{"metrics": []}', "n.json")
