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
def main(version: Annotated[bool, typer.Option(
        "--version", callback=_version, is_eager=True,
        help="Print genriflow's version and exit.")] = False) -> None:
    """Tell which genre a piece of music belongs to, from the audio itself."""


# `--help` lists the commands in this order: what a listener uses first, then a researcher
for module in (predict, similar, models):
    app.command(module.NAME)(module.command)
app.add_typer(library.app, name=library.NAME)
for module in (serve, train, evaluate, compare, tune, features, cluster, plot, demo,
               demo_data):
    app.command(module.NAME)(module.command)

__all__ = ["app"]
