"""Training from audio: what the files cannot give is said before their features."""

from __future__ import annotations

import pytest

import genriflow
from genriflow.datasets.discover import DatasetError
from genriflow.datasets.splits import SplitConfig
from genriflow.datasets.synthetic import make_demo_corpus


@pytest.mark.parametrize("model", ["svm", "auto", "shortchunk-cnn"])
def test_a_split_the_files_cannot_make_is_refused_before_any_feature(model, tmp_path):
    corpus = tmp_path / "corpus"
    make_demo_corpus(corpus, per_genre=3, seconds=2.0, seed=0)  # 30 files, 10 genres
    store = tmp_path / "store"
    with pytest.raises(DatasetError, match="too few files for a stratified"):
        genriflow.train(corpus, model=model, out=tmp_path / "model",
                        options=genriflow.RunOptions(store=store, n_jobs=1))
    assert not store.exists() or not any(p.is_file() for p in store.rglob("*"))
    assert not (tmp_path / "model").exists()


def test_compare_leaves_out_a_model_the_files_cannot_fit_and_says_why(tmp_path):
    """Two blues clips in 4 folds: a fold trains on one, which the svm's calibration
    cannot cross-validate. The other models' figures stand; the svm is named with why."""
    import warnings

    from genriflow.errors import GenriflowWarning
    from genriflow.workflows.train_any import compare

    corpus = tmp_path / "corpus"
    make_demo_corpus(corpus, per_genre=4, seconds=2.0, seed=0, formats=("wav",))
    for clip in sorted((corpus / "blues").iterdir())[2:]:
        clip.unlink()
    (corpus / "manifest.csv").unlink()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        table = compare(corpus, ["logreg", "svm"], tmp_path / "run",
                        split=SplitConfig(method="kfold", n_folds=4),
                        options=genriflow.RunOptions(store=tmp_path / "store", n_jobs=1))
    assert list(table["model"]) == ["logreg"]
    said = [str(w.message) for w in caught if issubclass(w.category, GenriflowWarning)]
    assert any(m.startswith("svm left out of the comparison: svm cannot be fitted")
               and "'blues' has a single training row" in m for m in said)
    markdown = (tmp_path / "run" / "comparison.md").read_text()
    assert "Left out (these files cannot fit them):" in markdown
    assert "- svm: svm cannot be fitted" in markdown
    assert not (tmp_path / "run" / "svm").exists()


def test_more_folds_than_any_label_has_files_is_one_line_naming_the_largest(tmp_path):
    # scikit-learn's "n_splits=10 cannot be greater than the number of members in each
    # class" came out as an internal error
    corpus = tmp_path / "corpus"
    make_demo_corpus(corpus, per_genre=4, seconds=2.0, seed=0, formats=("wav",))
    with pytest.raises(DatasetError, match=r"^too few files for 10 folds: the largest "
                                           r"label, '\w+', has 4; use 4 folds or fewer "
                                           r"\(--folds\), or add files$"):
        genriflow.train(corpus, model="logreg", split="kfold", out=tmp_path / "model",
                        options=genriflow.RunOptions(store=tmp_path / "store", n_jobs=1))
    assert not (tmp_path / "model").exists()


def test_a_grouped_split_of_gtzan_named_files_says_its_groups_in_the_metrics_and_report(
        tmp_path):
    """No group column: kfold-grouped keeps blocks of 10 clip numbers together, and the
    metrics, the report and the command line's summary say that this is the grouping."""
    import numpy as np

    from genriflow.datasets.frames import dataset_frame
    from genriflow.features.dataset import FeatureDataset
    from genriflow.features.sets import FeatureConfig
    from genriflow.training.classical import TrainConfig
    from genriflow.workflows.experiment import train_to_folder

    genres = ("jazz", "metal", "rock")
    paths = [f"/gtzan/{g}/{g}.{n:05d}.wav" for g in genres for n in range(40)]
    frame = dataset_frame(paths, [p.split("/")[2] for p in paths])
    rng = np.random.default_rng(0)
    X = rng.normal(size=(len(frame), 57)) + 2 * np.eye(57)[frame["label"].factorize()[0]]
    dataset = FeatureDataset(frame, X, FeatureConfig(set="kaggle"), "gtzan")
    split = SplitConfig(method="kfold-grouped", n_folds=4)
    metrics = train_to_folder(dataset, tmp_path / "model",
                              TrainConfig(model="logreg", split=split)).metrics
    assert metrics["split"]["groups"].startswith("blocks of 10 consecutive clip numbers")
    assert metrics["split"]["groups_crossing"] == 0 and metrics["test"]["n"] == 120
    report = (tmp_path / "model" / "report.md").read_text()
    assert "no group appears in more than one part (groups: blocks of 10" in report
    ungrouped = train_to_folder(dataset, tmp_path / "plain", TrainConfig(
        model="logreg", split=SplitConfig(method="kfold", n_folds=4))).metrics
    assert "groups" not in ungrouped["split"]
