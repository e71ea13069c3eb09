"""``--model auto``: heads on the table and on embeddings, the CNN with enough data, chosen
on the validation part only, and what was tried reported everywhere."""

import json

import numpy as np
import pandas as pd
import pytest

import genriflow
from commandline import in_process
from genriflow.datasets.splits import SplitConfig
from genriflow.errors import ConfigError
from genriflow.features.dataset import FeatureDataset, from_audio, write_feature_table
from genriflow.features.options import RunOptions
from genriflow.features.sets import FeatureConfig
from genriflow.models.folder import load_model
from genriflow.training.auto import AutoChoice, AutoConfig, choose_auto, wilson_interval
from genriflow.training.classical import TrainConfig
from genriflow.workflows.auto_select import (
    AutoData,
    auto_datasets,
    train_auto_and_test,
    train_auto_to_folder,
)

FAST = AutoConfig(heads=("logreg", "knn"), network=None)


def _fake(rng, parts, y, informative, width, name):
    """Class means + noise where ``informative`` is true, pure noise elsewhere."""
    means = rng.normal(0, 3, (3, width))
    codes = np.searchsorted(["a", "b", "c"], y)
    X = 10 + rng.normal(0, 1, (len(y), width))
    X[informative] += means[codes[informative]]
    frame = pd.DataFrame({"path": [f"/x/{i}.wav" for i in range(len(y))], "label": y,
                          "group": None, "split": parts, "key": None})
    return FeatureDataset(frame, X, FeatureConfig(set=name), "fake")


def _favouring(valid_set, seed=0):
    """Two inputs: the valid part is informative only in ``valid_set``, the test part
    only in the other one (so choosing on test would pick the other)."""
    rng = np.random.default_rng(seed)
    parts = np.array(["train"] * 60 + ["valid"] * 30 + ["test"] * 30)
    y = np.array(["a", "b", "c"] * 40)
    datasets = {}
    for name, width in (("kaggle", 57), ("msd-musicnn", 40)):
        informative = parts == "train"
        informative |= parts == ("valid" if name == valid_set else "test")
        datasets[name] = _fake(rng, parts, y, informative, width, name)
    return datasets, parts


@pytest.mark.parametrize("favoured", ["kaggle", "msd-musicnn"])
def test_the_winner_is_the_best_on_validation_not_on_test(favoured):
    datasets, parts = _favouring(favoured)
    result = train_auto_and_test(AutoData(datasets, {}, []), FAST, train=TrainConfig(
        split=SplitConfig(method="manifest")))
    choice = result.choice
    assert choice.winner.endswith(f"@{favoured}")
    best = max(c.accuracy for c in choice.candidates if c.n)
    assert next(c for c in choice.candidates if c.name == choice.winner).accuracy == best
    assert all(c.n == 30 for c in choice.candidates)
    # the test part favours the other input: the winner does badly there
    assert result.metrics["test"]["accuracy"] < 0.6 < best
    assert choice.part == "valid (manifest, 30 items)"


def test_test_rows_are_never_read_when_choosing():
    datasets, parts = _favouring("kaggle")
    reference = choose_auto(datasets, parts, FAST).choice.to_dict()
    poisoned = {}
    for name, d in datasets.items():  # test rows: no features, a label seen nowhere else
        X, frame = d.X.copy(), d.frame.copy()
        X[parts == "test"] = np.nan
        frame.loc[parts == "test", "label"] = "never-seen"
        poisoned[name] = FeatureDataset(frame, X, d.feature_config, "fake")
    assert choose_auto(poisoned, parts, FAST).choice.to_dict() == reference


def test_no_validation_part_takes_the_first_candidate_and_says_so():
    datasets, parts = _favouring("kaggle")
    parts = np.where(parts == "valid", "train", parts)
    fit = choose_auto(datasets, parts, FAST)
    assert fit.choice.winner == "logreg@kaggle" and "no validation part" in fit.choice.note
    assert all(c.skipped == "no validation part" for c in fit.choice.candidates)


def test_config_and_interval_checks():
    assert wilson_interval(10, 10)[1] == pytest.approx(1.0)
    assert wilson_interval(0, 10)[0] == pytest.approx(0.0)
    low, high = wilson_interval(27, 30)
    assert low < 0.9 < high and low == pytest.approx(0.744, abs=5e-4)
    for bad in ({"inputs": ("nope",)}, {"heads": ("xgb",)}, {"network": "resnet"},
                {"network_min_per_class": 0}, {"heads": ()}):
        with pytest.raises(ConfigError):
            AutoConfig(**bad)


@pytest.mark.slow  # embeds 100 clips with musicnn, fits ten heads
def test_auto_tries_table_and_embedding_heads_and_reports_them(demo_corpus, feature_cache,
                                                               tmp_path):
    run = genriflow.train(demo_corpus, out=tmp_path / "m",
                          options=RunOptions(store=feature_cache, n_jobs=2))
    choice = run.auto
    names = [c.name for c in choice.candidates]
    assert names[:5] == ["knn@kaggle", "svm@kaggle", "logreg@kaggle", "random-forest@kaggle",
                         "mlp@kaggle"]
    assert names[5:10] == [n.replace("kaggle", "msd-musicnn") for n in names[:5]]
    scored = [c for c in choice.candidates if c.n]
    assert len(scored) == 10 and all(c.n == 10 for c in scored)  # the 10 validation clips
    assert choice.winner in [c.name for c in scored if c.accuracy == max(
        s.accuracy for s in scored)]
    cnn = choice.candidates[-1]
    assert cnn.name == "shortchunk-cnn@log-mel" and cnn.n == 0
    assert cnn.skipped == ("too little data: 7 training clips in genre 'blues', needs at "
                           "least 50 in every genre")
    saved = json.loads((tmp_path / "m" / "auto.json").read_text())
    assert saved == run.metrics["auto"] == choice.to_dict()
    assert AutoChoice.from_dict(saved).table().shape == (11, 8)
    config = json.loads((tmp_path / "m" / "config.json").read_text())
    assert config["features"]["set"] == choice.winner.partition("@")[2]
    assert config["auto"]["winner"] == choice.winner
    report = (tmp_path / "m" / "report.md").read_text()
    assert "test never used" in report and "skipped: too little data" in report
    assert run.metrics["test"]["part"] == "test (stratified, 20 items)"
    model = load_model(run.folder)
    assert model.feature_config.set == choice.winner.partition("@")[2]
    assert model.labels == sorted(pd.read_csv(demo_corpus / "manifest.csv")["label"].unique())


def test_test_labels_do_not_change_what_auto_chooses(demo_corpus, feature_cache, tmp_path):
    """Same files and split, test labels rotated: same table and winner, other test figure."""
    frame = pd.read_csv(demo_corpus / "manifest.csv")
    frame["path"] = [str(demo_corpus / p) for p in frame["path"]]
    frame["split"] = (["train"] * 6 + ["valid"] * 2 + ["test"] * 2) * 10
    frame.to_csv(tmp_path / "true.csv", index=False)
    test = frame["split"] == "test"
    genres = sorted(frame["label"].unique())
    frame.loc[test, "label"] = [genres[(genres.index(g) + 1) % 10]
                                for g in frame.loc[test, "label"]]
    frame.to_csv(tmp_path / "rotated.csv", index=False)
    options = RunOptions(store=feature_cache, n_jobs=2)
    config = AutoConfig(inputs=("kaggle",), heads=("logreg", "svm"))
    runs = [train_auto_to_folder(tmp_path / name, tmp_path / f"{name}.csv", config=config,
                                 options=options) for name in ("true", "rotated")]
    assert runs[0].choice.to_dict() == runs[1].choice.to_dict()
    assert runs[0].choice.part == "valid (manifest, 20 items)"
    assert runs[0].metrics["test"]["accuracy"] > 0.5 > runs[1].metrics["test"]["accuracy"]


@pytest.mark.slow  # log-mel of 100 clips, one CNN epoch, three folds
def test_the_cnn_is_tried_with_enough_data_and_kfold_chooses_per_fold(demo_corpus,
                                                                      feature_cache, tmp_path):
    options = RunOptions(store=feature_cache, n_jobs=2)
    config = AutoConfig(inputs=("kaggle",), heads=("logreg",), network_min_per_class=5)
    result = train_auto_to_folder(tmp_path / "m", demo_corpus, config=config, epochs=1,
                                  device="cpu", options=options)
    logreg, cnn = result.choice.candidates
    assert cnn.name == "shortchunk-cnn@log-mel" and cnn.skipped is None and cnn.n == 10
    assert result.choice.winner == max((logreg, cnn), key=lambda c: c.accuracy).name
    if result.choice.winner == cnn.name:
        assert (tmp_path / "m" / "curves.png").is_file()

    folds = train_auto_to_folder(tmp_path / "k", demo_corpus, config=config,
                                 split=SplitConfig(method="kfold", n_folds=3), options=options)
    logreg, cnn = folds.choice.candidates
    assert cnn.skipped == "networks train on a hold-out split, not k-fold"
    assert logreg.n == 100  # every clip validates once
    assert folds.choice.note == "chosen in 3 of 3 folds"
    assert len(folds.metrics["folds"]) == 3 and "accuracy_std" in folds.metrics["test"]


def test_a_feature_table_gives_the_table_heads_and_says_why_not_the_rest(kaggle_table):
    data = auto_datasets(table=kaggle_table, config=AutoConfig())
    assert list(data.datasets) == ["kaggle"] and len(data.datasets["kaggle"].y) == 1000
    assert data.skipped == {"msd-musicnn": "needs audio: a feature table holds only kaggle "
                            "features", "shortchunk-cnn": "needs audio: trained from a "
                            "feature table"}


@pytest.mark.slow  # a fresh process: imports, then five heads
def test_the_cli_prints_the_candidates(demo_corpus, feature_cache, tmp_path):
    dataset = from_audio(demo_corpus, options=RunOptions(store=feature_cache, n_jobs=2))
    write_feature_table(dataset, tmp_path / "features_30_sec.csv")
    out = in_process("train", "--features", tmp_path / "features_30_sec.csv",
                     "--out", tmp_path / "m")
    assert out.returncode == 0, out.stderr
    saved = AutoChoice.from_dict(json.loads((tmp_path / "m" / "auto.json").read_text()))
    assert f"auto chose {saved.winner}" in out.stdout
    for c in saved.candidates:
        assert c.name in out.stdout
    assert "valid (stratified, 10 items)" in out.stdout
    # the 5 embedding heads and the CNN, a line per reason under the table
    assert [line.split(":")[0] for line in out.stdout.splitlines()
            if line.startswith("skipped")] == ["skipped (needs audio"] * 2


def _few_rows(counts: dict[str, int], seed: int = 0) -> FeatureDataset:
    """Labels with ``counts`` rows each, around well-separated means."""
    rng = np.random.default_rng(seed)
    y = np.array([label for label, n in counts.items() for _ in range(n)])
    codes = np.searchsorted(sorted(counts), y)
    frame = pd.DataFrame({"path": [f"/x/{i}.wav" for i in range(len(y))], "label": y,
                          "group": None, "split": None, "key": None})
    X = rng.normal(0, 1, (len(y), 6)) + 4 * codes[:, None]
    return FeatureDataset(frame, X, FeatureConfig(set="msd-musicnn"), "fake.csv")


@pytest.mark.parametrize("counts", [{"a": 20, "b": 20, "c": 1},  # scikit-learn's ValueError
                                    {"a": 20, "b": 20, "c": 20, "d": 1}])
def test_an_svm_refuses_a_label_with_one_training_row_naming_it(counts):
    # With 3 labels the calibration's fold without 'c' was binary and scikit-learn raised
    # ("Only 2 class/es in training fold"); with more, 'd' got a calibrator fitted on a
    # placeholder decision value and was never predicted.
    from genriflow.training.classical import fit_pipeline

    dataset = _few_rows(counts)
    single = [label for label, n in counts.items() if n == 1][0]
    with pytest.raises(ConfigError) as raised:
        fit_pipeline("svm", dataset, np.ones(len(dataset.y), bool), TrainConfig(model="svm"))
    assert raised.value.field == "model"
    assert f"'{single}' has a single training row" in raised.value.reason
    assert "calibration cross-validates within the training rows" in raised.value.reason
    assert "fake.csv" in raised.value.reason and "\n" not in str(raised.value)


def test_an_svm_on_a_label_with_two_training_rows_calibrates_on_two_folds():
    import warnings

    from genriflow.training.classical import fit_pipeline

    dataset = _few_rows({"a": 20, "b": 20, "c": 2})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = fit_pipeline("svm", dataset, np.ones(len(dataset.y), bool),
                             TrainConfig(model="svm"))
    assert [str(w.message) for w in caught] == []  # every fold trains on every label
    assert model.get_params()["clf__cv"] == 2
    assert list(model.classes_) == ["a", "b", "c"]
    # a point at 'c's mean is 'c': its calibrator saw real decision values
    centre = np.full((1, 6), 8.0)
    assert model.predict(centre)[0] == "c"
    assert model.predict_proba(centre)[0, 2] > 0.5


def test_auto_skips_an_svm_its_training_rows_cannot_fit_and_says_why():
    dataset = _few_rows({"a": 20, "b": 20, "c": 3})
    parts = np.array(["train"] * len(dataset.y), dtype=object)
    parts[[0, 1, 20, 21, 40]] = "valid"  # 'c': one row in each part
    parts[[2, 22, 41]] = "test"
    fit = choose_auto({"msd-musicnn": dataset}, parts,
                      AutoConfig(inputs=("msd-musicnn",), heads=("svm", "logreg"),
                                 network=None))
    svm = next(c for c in fit.choice.candidates if c.model == "svm")
    assert svm.n == 0 and "'c' has a single training row" in svm.skipped
    assert fit.choice.winner == "logreg@msd-musicnn"


def test_kfold_figures_are_the_pooled_ones_their_intervals_are_about():
    """Folds of unequal genre mix: a mean over folds of balanced accuracy fell outside the
    pooled interval printed beside it (0.809 beside 0.569-0.720 on the 47 GTZAN sample
    clips)."""
    import warnings

    from genriflow.workflows.experiment import train_and_test

    dataset = _few_rows({"a": 12, "b": 9, "c": 2, "d": 1}, seed=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # labels smaller than the folds, said by the split
        metrics = train_and_test(dataset, TrainConfig(
            model="logreg", split=SplitConfig(method="kfold", n_folds=4))).metrics
    test = metrics["test"]
    confusion = np.array(test["confusion"]["matrix"])  # rows: true genre, pooled
    assert test["n"] == 24 == confusion.sum() and test["correct"] == np.trace(confusion)
    assert test["accuracy"] == pytest.approx(test["correct"] / test["n"], abs=1e-12)
    macro = np.mean(np.diag(confusion) / confusion.sum(axis=1))
    assert test["balanced_accuracy"] == pytest.approx(macro, abs=1e-12)
    low, high = test["balanced_accuracy_interval"]
    assert low <= test["balanced_accuracy"] <= high
    low, high = test["interval"]
    assert low <= test["accuracy"] <= high
    per_fold = [f["test"]["balanced_accuracy"] for f in metrics["folds"]]
    assert test["balanced_accuracy_std"] == pytest.approx(np.std(per_fold), abs=1e-12)
    # every item's prediction, once, as its fold made it: McNemar's test (compare) has them
    assert sorted(i for i, _, _ in test["predictions"]) == sorted(dataset.frame["path"])
    assert sum(t == p for _, t, p in test["predictions"]) == test["correct"]
    from genriflow.evaluation.metrics import mcnemar

    assert mcnemar(test, test)["p_value"] == pytest.approx(1.0)


def test_a_multi_label_svm_names_a_genre_on_a_single_training_song():
    from genriflow.training.classical import calibration_folds

    targets = np.zeros((10, 3), dtype=int)
    targets[:, 0] = 1          # every song: left to one-vs-rest as it is
    targets[:5, 1] = 1         # 5 with, 5 without
    targets[9, 2] = 1          # one song
    with pytest.raises(ConfigError, match="'c' has a single training song with it, or "
                                          "without it"):
        calibration_folds(targets, ["a", "b", "c"], source="m.csv")
    targets[8, 2] = 1
    assert calibration_folds(targets, ["a", "b", "c"]) == 2
    assert calibration_folds(np.array(["x"] * 9 + ["y"] * 7), []) == 5
