"""The public API as a notebook user pokes it: a wrong type or value for any argument is a
one-line :class:`genriflow.GenriflowError` naming the argument, never an exception from
deep inside (``TypeError: expected str, bytes or os.PathLike``, ``AttributeError``)."""

from __future__ import annotations

import pytest

import genriflow


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
