"""Shared fixtures: the real GTZAN-derived data beside the repo, and audio files made here."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data`` (GTZAN splits, the Kaggle feature table, 47 real clips)."""
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not beside the repository")
    return SHARED_DATA


@pytest.fixture(scope="session")
def kaggle_table(shared_data: Path) -> Path:
    return shared_data / "gtzan-features" / "features_30_sec.csv"


@pytest.fixture(scope="session")
def demo_corpus(tmp_path_factory) -> Path:
    """A small synthetic corpus: 10 genres x 10 clips x 4 s, rotating containers."""
    from genriflow.datasets.synthetic import make_demo_corpus

    root = tmp_path_factory.mktemp("demo") / "corpus"
    make_demo_corpus(root, per_genre=10, seconds=4.0, seed=0)
    return root


@pytest.fixture(scope="session")
def feature_cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="session")
def demo_model(demo_corpus: Path, feature_cache: Path, tmp_path_factory) -> Path:
    """A model folder trained on the demo corpus through the library API."""
    from genriflow.features.dataset import from_audio
    from genriflow.features.options import RunOptions
    from genriflow.training.classical import TrainConfig
    from genriflow.workflows.experiment import train_to_folder

    out = tmp_path_factory.mktemp("models") / "demo"
    dataset = from_audio(demo_corpus, options=RunOptions(store=feature_cache))
    train_to_folder(dataset, out, TrainConfig(model="logreg"))
    return out
