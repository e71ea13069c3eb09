"""evaluate --part test re-derives a model's split: it must be the test part the model
folder recorded, not one a changed split algorithm draws from the model's training rows."""

import json
import shutil

import pandas as pd
import pytest

import genriflow
from genriflow.errors import ConfigError
from sample_tables import segment_table as segment_table_of


@pytest.fixture(scope="module")
def segment_table(kaggle_table, tmp_path_factory):
    """A 3-second-style table: 3 jittered segments of each of 200 tracks, named as
    features_3_sec.csv names them (blues.00000.0.wav)."""
    return segment_table_of(kaggle_table, tmp_path_factory.mktemp("table") /
                            "features_3_sec.csv", segments=3, jitter=0.03)


@pytest.fixture(scope="module")
def model_folder(segment_table, tmp_path_factory):
    out = tmp_path_factory.mktemp("model") / "knn"
    genriflow.train(table=segment_table, out=out, model="knn", split="stratified")
    return out


def test_a_model_is_scored_on_the_test_part_it_recorded(segment_table, model_folder,
                                                        tmp_path):
    run = genriflow.evaluate(table=segment_table, model=model_folder, out=tmp_path / "run")
    recorded = json.loads((model_folder / "metrics.json").read_text())["test"]
    assert run.metrics["test"]["n"] == recorded["n"]
    assert run.metrics["test"]["accuracy"] == pytest.approx(recorded["accuracy"])


def test_a_test_part_the_folder_did_not_record_is_refused(segment_table, model_folder,
                                                         tmp_path):
    # A folder trained before the split kept a track's segments together: its test part
    # was drawn row by row, so today's re-derived test part holds rows it trained on.
    old = tmp_path / "old-knn"
    shutil.copytree(model_folder, old)
    metrics = json.loads((model_folder / "metrics.json").read_text())
    names = pd.read_csv(segment_table)["filename"]
    drawn = names.sample(n=metrics["test"]["n"], random_state=0)  # row by row, as before
    metrics["test"]["predictions"] = [[name, "blues", "blues"] for name in drawn]
    (old / "metrics.json").write_text(json.dumps(metrics))
    now = {item for item, *_ in json.loads(
        (model_folder / "metrics.json").read_text())["test"]["predictions"]}
    differ = len(now - set(drawn))
    with pytest.raises(ConfigError) as err:
        genriflow.evaluate(table=segment_table, model=old, out=tmp_path / "run")
    message = str(err.value)
    assert "\n" not in message
    assert str(old) in message and f"{differ} of the {len(now)} test rows" in message
    # part all, for data the model never saw, is still the user's to choose
    run = genriflow.evaluate(table=segment_table, model=old, out=tmp_path / "all",
                             part="all")
    assert run.metrics["test"]["n"] == len(names)


def test_the_built_in_table_model_is_still_scored_on_its_split(kaggle_table, tmp_path):
    run = genriflow.evaluate(table=kaggle_table, model="gtzan-table", out=tmp_path / "run")
    assert run.metrics["test"]["n"] == 290


def test_a_split_by_named_lists_is_not_refused_for_clips_the_training_copy_lacked(
        kaggle_table, tmp_path):
    # trained on a copy without 20 of GTZAN's test clips, scored on the whole table: those
    # clips are in the fault-filtered test list, unseen, and rightly in the test part
    table = pd.read_csv(kaggle_table)
    from genriflow.datasets.gtzan import clip_key, fault_filtered_split

    lists = fault_filtered_split()
    test_clips = table["filename"].map(lambda n: lists.get(clip_key(n)) == "test")
    partial = table.drop(table.index[test_clips][:20])
    partial.to_csv(tmp_path / "partial.csv", index=False)
    genriflow.train(table=tmp_path / "partial.csv", out=tmp_path / "model", model="logreg")
    run = genriflow.evaluate(table=kaggle_table, model=tmp_path / "model",
                             out=tmp_path / "run")
    assert run.metrics["test"]["n"] == 290
