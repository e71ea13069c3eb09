"""``genriflow features``: feature sets of a folder of audio, into the store."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from genriflow.cli.common import (
    Address,
    Device,
    Engine,
    Jobs,
    NoStore,
    Quiet,
    StoreDir,
    console,
    exit_if_failed,
    print_errors,
    run_options,
    split_list,
)
from genriflow.features import FEATURE_SET_NAMES
from genriflow.progress import counted

NAME = "features"


def command(
    data_dir: Annotated[Path, typer.Argument(metavar="DATA_DIR", help="Folder of labelled "
                                             "audio (folder per genre, any depth) or a "
                                             "manifest CSV.")],
    feature_sets: Annotated[str, typer.Option("--sets", help="Comma-separated feature sets: "
                                              f"{', '.join(FEATURE_SET_NAMES)}.")] = "kaggle",
    out: Annotated[Path | None, typer.Option(help="Write the first vector set as a table "
                                             "(.csv or .parquet).")] = None,
    png: Annotated[Path | None, typer.Option(help="Export mel-image as PNGs into "
                                             "<png>/<genre>/.")] = None,
    n_jobs: Jobs = None, store: StoreDir = None, no_store: NoStore = False,
    quiet: Quiet = False, engine: Engine = "local", address: Address = None,
    device: Device = "auto",
) -> None:
    """Compute feature sets for a folder of audio, each file decoded once, into the store."""
    from genriflow.api_training import extract_features
    from genriflow.errors import ConfigError

    options = run_options(store, no_store, n_jobs, quiet, engine, address, device)
    if options.store is not None:  # its work is to fill the store: refused before any
        from genriflow.locations import cannot_write, store_field

        if (reason := cannot_write(options.store)) is not None:
            raise ConfigError(store_field(options.store),
                              f"{options.store}: cannot be written ({reason}); features "
                              "keeps what it computes there: name a writable --store, or "
                              "--no-store to compute without keeping")
    names = split_list(feature_sets)
    vector_sets: list[str] = []
    # an unknown name is extract's error, said light; --out and --png are checked against
    # known sets only, which needs the sets' definitions (NumPy)
    if (out is not None or png is not None) and all(n in FEATURE_SET_NAMES for n in names):
        from genriflow.features.sets import feature_set

        vector_sets = [name for name in names if feature_set(name).columns is not None]
        if out is not None and not vector_sets:  # it wrote nothing and said nothing
            raise ConfigError("out", f"writes a table of a vector set, and none of "
                              f"{feature_sets} is one; add one to --sets (kaggle, "
                              "spectral-summary, ...)")
        if png is not None and "mel-image" not in names:
            raise ConfigError("png", "exports the mel-image set; add mel-image to --sets")
    datasets = extract_features(data_dir, feature_sets=names, options=options)
    from genriflow.features.dataset import write_feature_table
    from genriflow.features.representations import export_mel_images

    for name, dataset in datasets.items():
        console.print(f"{name}: {counted(len(dataset.frame), 'file')}, shape {dataset.X.shape[1:]}")
    if out is not None:
        write_feature_table(datasets[vector_sets[0]], out)
        console.print(f"wrote the {vector_sets[0]} table to {out}")
    if png is not None:
        images = datasets["mel-image"]
        stems = [Path(p).stem for p in images.frame["path"]]
        export_mel_images(images.X, images.y, stems, png)
        console.print(f"wrote {len(stems)} mel images under {png}")
    errors = next(iter(datasets.values())).errors
    print_errors(errors)
    exit_if_failed(errors)
