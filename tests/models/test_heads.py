"""The default head's pieces: the analysis inputs, the tag-prior head, grouped folds."""

import numpy as np
import skops.io as sio

from close import assert_close
from genriflow.models.folder import TRUSTED_PREFIXES
from genriflow.models.heads import AnalysisInputs, TagPriorHead
from genriflow.training.tag_head import Songs, clip_groups, folds, window_weights


def _data(seed=0, n=300):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    features = rng.normal(size=(n, 4))
    features[:, 0] += 2.0 * (y == 2)               # class c is learnt from the features
    prior = np.full((n, 3), 0.1)
    prior[np.arange(n), np.where(y == 2, 0, y)] = 0.9   # the tags know a and b, not c
    return np.c_[features, prior], np.array(["a", "b", "c"])[y]


def test_the_head_keeps_the_prior_and_learns_what_the_tags_miss():
    X, y = _data()
    head = TagPriorHead(C=1.0, intercept_C=1.0, classes=("a", "b", "c")).fit(X, y)
    assert list(head.classes_) == ["a", "b", "c"]
    assert np.mean(head.predict(X) == y) > 0.8
    assert np.mean(head.predict(X[y == "c"]) == "c") > 0.6
    proba = head.predict_proba(X)
    assert_close(proba.sum(axis=1).tolist(), [1.0] * len(X))
    # with no rows of a class, a strongly regularised head follows the prior for it
    known = y != "b"
    few = TagPriorHead(C=1e-4, intercept_C=1e-3, classes=("a", "b", "c")).fit(X[known],
                                                                             y[known])
    assert np.mean(few.predict(X[y == "b"]) == "b") > 0.9
    # a plain logistic regression (no prior) never names a class it has no rows of
    plain = TagPriorHead(C=1e-4, intercept_C=1e-3, prior_weight=0.0,
                         classes=("a", "b", "c")).fit(X[known], y[known])
    assert np.mean(plain.predict(X[y == "b"]) == "b") < 0.1


def test_the_head_saves_with_skops_as_trusted_types(tmp_path):
    from sklearn.pipeline import Pipeline

    X, y = _data(1)
    pipeline = Pipeline([("inputs", AnalysisInputs(parts=((0, 4),), tag_groups=((4,), (5,),
                                                                               (6,)))),
                         ("clf", TagPriorHead(C=1.0, classes=("a", "b", "c")))]).fit(X, y)
    sio.dump(pipeline, tmp_path / "m.skops")
    untrusted = sio.get_untrusted_types(file=tmp_path / "m.skops")
    assert untrusted and all(t.startswith(TRUSTED_PREFIXES) for t in untrusted)
    again = sio.load(tmp_path / "m.skops", trusted=untrusted)
    np.testing.assert_allclose(again.predict_proba(X), pipeline.predict_proba(X), atol=1e-12)


def test_folds_never_split_a_block_of_neighbouring_clips():
    keys = np.array([f"{g}.{i:05d}" for g in ("blues", "jazz", "rock") for i in range(40)])
    songs = Songs(np.zeros((len(keys), 2)), np.ones(len(keys), dtype=int),
                  np.array([k.split(".")[0] for k in keys]), keys)
    groups = clip_groups(keys)
    for train, held in folds(songs, n_folds=4, seed=0):
        assert not set(groups[train]) & set(groups[held])
        assert set(songs.labels[held]) == {"blues", "jazz", "rock"}


def test_window_weights_balance_genres_and_songs():
    w = window_weights(np.array(["a", "a", "a", "b"]), np.array([3, 1, 2, 4]))
    song = np.repeat(np.arange(4), [3, 1, 2, 4])
    per_song = np.bincount(song, weights=w)
    assert_close(per_song[:3].tolist(), [per_song[0]] * 3)
    assert_close(per_song[:3].sum(), per_song[3])
