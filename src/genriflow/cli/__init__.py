"""The ``genriflow`` command line: one module per command, each a few lines over the
public API (:mod:`genriflow.api`).

Shared options, the consoles and the error policy live in :mod:`genriflow.cli.common`.
"""

from __future__ import annotations

from typing import Annotated

import typer

from genriflow.cli import (
    cluster,
    compare,
    demo,
    demo_data,
    evaluate,
    features,
    library,
    models,
    plot,
    predict,
    serve,
    similar,
    train,
    tune,
)
from genriflow.cli.common import GenriflowGroup

app = typer.Typer(
    help="Tell which genre a piece of music belongs to, from the audio itself.",
    cls=GenriflowGroup, no_args_is_help=True, pretty_exceptions_enable=False,
    add_completion=False, rich_markup_mode=None,
)



def _version(asked: bool) -> None:
    if asked:
        from genriflow import __version__

        typer.echo(f"genriflow {__version__}")
        raise typer.Exit()


@app.callback()
def _options(version: Annotated[bool, typer.Option(
        "--version", callback=_version, is_eager=True,
        help="Print genriflow's version and exit.")] = False) -> None:
    """Tell which genre a piece of music belongs to, from the audio itself."""


#: What ``genriflow --help`` says of each command, whole on an 80-column terminal (click
#: would cut each docstring's first sentence short); ``COMMAND --help`` says the rest.
SUMMARIES = {
    predict: "Each song's most probable genres (and tags, voice, moods)",
    similar: "Songs like this one in a folder, by pretrained embedding",
    models: "The built-in models, usable by name wherever a model goes",
    serve: "An HTTP service and web page: genres of uploaded songs",
    train: "Train a model, test it once on held-out data, save it",
    evaluate: "Score a model: accuracy with its interval, a report",
    compare: "Train several models on one split and compare them",
    tune: "Search a model's hyperparameters, then test the best once",
    features: "Compute feature sets of labelled audio into the store",
    cluster: "Find genres without labels; score the clusters",
    plot: "Pictures of a song: waveform, spectrograms, chroma, MFCC",
    demo: "The whole job on the built-in demo corpus",
    demo_data: "Synthesise the labelled 10-genre demo corpus",
}

# `--help` lists the commands in this order: what a listener uses first, then a researcher
for module in (predict, similar, models):
    app.command(module.NAME, short_help=SUMMARIES[module])(module.command)
app.add_typer(library.app, name=library.NAME,
              short_help="Index a music collection: classify, list, tag, undo")
for module in (serve, train, evaluate, compare, tune, features, cluster, plot, demo,
               demo_data):
    app.command(module.NAME, short_help=SUMMARIES[module])(module.command)


__all__ = ["app"]
