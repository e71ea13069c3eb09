"""The public API as a notebook user pokes it: a wrong type or value for any argument is a
one-line :class:`genriflow.GenriflowError` naming the argument, never an exception from
deep inside (``TypeError: expected str, bytes or os.PathLike``, ``AttributeError``)."""

from __future__ import annotations

import numpy as np
import pytest

import genriflow


def _prediction() -> genriflow.Prediction:
    return genriflow.Prediction("song.wav", ["blues", "jazz", "rock"],
                                np.array([0.2, 0.5, 0.3]), np.array([0.0]),
                                np.array([[0.2, 0.5, 0.3]]))


def test_top_lists_k_genres_and_says_when_k_is_no_count():
    prediction = _prediction()
    assert [genre for genre, _ in prediction.top(2)] == ["jazz", "rock"]
    assert len(prediction.top(10)) == 3 and len(prediction.top()) == 3
    # top(-1) listed every genre but the least probable; top("2") a TypeError from slicing
    for k, says in ((-1, "`k` must be at least 1; got -1"),
                    (0, "`k` must be at least 1; got 0"),
                    ("2", "`k` must be a whole number; got '2'"),
                    (1.5, "`k` must be a whole number; got 1.5")):
        with pytest.raises(genriflow.ConfigError) as raised:
            prediction.top(k)
        assert str(raised.value) == says


@pytest.mark.parametrize(("options", "says"), [
    ({"store": 123}, "`store` must be a path (str or os.PathLike); got int"),
    ({"store": ["/tmp/store"]}, "`store` must be a path (str or os.PathLike); got list"),
    ({"store": ""}, "`store` must be a folder's path, not empty (None: no store)"),
    ({"engine": "ray", "address": 6379},
     "`address` must be auto, HOST:PORT or ray://HOST:PORT (a str); got int"),
])
def test_run_options_name_a_bad_store_or_address(options, says):
    """``RunOptions(store=123)`` raised Path's TypeError, ``store=""`` kept the feature
    store in the working folder, and a numeric ``address`` an AttributeError."""
    with pytest.raises(genriflow.ConfigError) as raised:
        genriflow.RunOptions(**options)
    assert str(raised.value) == says


def test_run_options_keep_a_good_store_as_a_path(tmp_path):
    assert genriflow.RunOptions(store=str(tmp_path)).store == tmp_path
    assert genriflow.RunOptions(store=None).store is None
