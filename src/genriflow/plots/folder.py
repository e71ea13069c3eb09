"""``genriflow plot``: the pictures of a song or of a dataset, gathered in a run folder.

Named like :mod:`genriflow.models.folder` (the model folder): each package writes its own
kind of folder.
"""

from __future__ import annotations

import os
from pathlib import Path

from genriflow.datasets.frames import read_table, table_format
from genriflow.evaluation.html import write_html_report
from genriflow.features.dataset import from_audio
from genriflow.features.options import RunOptions
from genriflow.plots.dataset import plot_dataset, plot_feature_dataset
from genriflow.plots.song import plot_song


def plot_to_folder(target: str | os.PathLike, out: str | os.PathLike, *,
                   offset: float = 0.0, duration: float = 30.0,
                   options: RunOptions | None = None) -> list[Path]:
    """Write the pictures of ``target`` into ``out`` with ``report.md`` and ``report.html``.

    Parameters
    ----------
    target : path
        An audio file (the seven pictures of :func:`~genriflow.plots.song.plot_song`), a
        feature table ``.csv``/``.parquet`` or a folder of labelled audio (the pictures of
        :func:`~genriflow.plots.dataset.plot_dataset`, from the GTZAN table features).
    out : path
    offset, duration : float
        The window of a song, seconds.
    options : RunOptions or None
        Feature extraction of a folder (see :func:`genriflow.features.dataset.from_audio`).

    Returns
    -------
    list of Path
        The PNG files.
    """
    target, out = Path(target), Path(out)
    if table_format(target) and os.path.isfile(target):
        table = read_table(target)
        paths, what = plot_dataset(table, out), f"feature table `{target}`"
    elif os.path.isdir(target):  # not Path.is_dir: it raises where the user may not look
        dataset = from_audio(target, options=options)
        paths, what = plot_feature_dataset(dataset, out), f"labelled audio in `{target}`"
    else:
        paths = plot_song(target, out, offset=offset, duration=duration)
        what = f"song `{target}`, {duration:g} s from {offset:g} s"
    (out / "report.md").write_text(f"# genriflow pictures: {target.stem}\n\nOf the {what}.\n")
    write_html_report(out, pictures=paths)
    return paths
