"""``genriflow demo-data``: the synthetic labelled corpus."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from genriflow.cli.common import console
from genriflow.progress import counted

NAME = "demo-data"


def command(
    out_dir: Annotated[Path, typer.Argument(
        metavar="OUT_DIR", help="Folder to write the corpus into.")],
    per_genre: Annotated[int, typer.Option(help="Clips per genre.")] = 20,
    seconds: Annotated[float, typer.Option(help="Length of each clip in seconds.")] = 10.0,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same corpus).")] = 0,
    multi: Annotated[int, typer.Option(help="Also this many two-genre clips in multi/ (one "
                                       "genre then the other, or both mixed), labelled "
                                       "genre;genre in the manifest.")] = 0,
) -> None:
    """Synthesise the labelled 10-genre demo corpus (GTZAN genre names, GTZAN layout)."""
    from genriflow.datasets.synthetic import make_demo_corpus

    paths = make_demo_corpus(out_dir, per_genre=per_genre, seconds=seconds, seed=seed,
                             multi=multi)
    console.print(f"wrote {counted(len(paths), 'clip')} to {out_dir}")
