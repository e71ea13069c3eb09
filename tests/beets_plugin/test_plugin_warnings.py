"""What the beets plugin says of a file: through beets' log, as every beets message is,
never Python's warning display (``.../extract.py:161: AudioWarning: ...`` and a line of
genriflow's source)."""

from __future__ import annotations

import logging
import re
import warnings

import pytest
from beets import config as beets_config
from beets.library import Item, Library

from beetsplug import genriflow as plugin
from genriflow import AudioWarning
from sample_audio import write_truncated


@pytest.fixture
def beets_plugin(tmp_path):
    beets_config.clear()
    beets_config.read(user=False, defaults=True)
    found = plugin.GenriflowPlugin()
    found.config["store"].set(str(tmp_path / "store"))
    found.config["jobs"].set(1)
    yield found
    beets_config.clear()


def test_a_cut_download_is_one_log_line_not_a_python_warning(beets_plugin, tmp_path,
                                                              caplog):
    song = write_truncated(tmp_path / "music [Live]", "cut [bold].mp3")
    library = Library(str(tmp_path / "beets.db"), str(tmp_path))
    item = Item(path=bytes(song), title="cut")
    library.add(item)
    caplog.set_level(logging.WARNING, logger="beets")
    with warnings.catch_warnings(record=True) as shown:
        warnings.simplefilter("always")
        changes = beets_plugin.analyse([item], write=False, pretend=True)
    library._close()
    assert not [w for w in shown if issubclass(w.category, AudioWarning)]
    said = [r.getMessage() for r in caplog.records if r.name.startswith("beets")]
    assert len(said) == 1, said
    assert re.fullmatch(re.escape(f"{song}: truncated: the header declares 20.0 s, only ")
                        + r"\d+\.\d s decode; the part that decodes is used", said[0]), said
    assert {c.field for c in changes} >= {"genriflow_genre"}  # the part that decodes used
