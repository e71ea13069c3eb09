"""Training from audio: what the files cannot give is said before their features."""

from __future__ import annotations

import pytest

import genriflow
from genriflow.datasets.discover import DatasetError
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
