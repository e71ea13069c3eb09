"""``genriflow models``: the built-in models, what they learnt from, how accurate they are.

Also where ``genriflow predict`` tells a model from the audio that follows it
(:func:`model_and_audio`).
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

from genriflow.cli.common import console, styled
from genriflow.errors import one_of
from genriflow.progress import Cell, print_fields

NAME = "models"
FORMATS = ("table", "json")


def command(
    format: Annotated[str, typer.Option("--format", "-f", help="table or json.")] = "table",
) -> None:
    """List the built-in models (usable by name wherever a model folder is): what each was
    trained on, chosen on and tested on, and its test accuracy with a 95 % interval."""
    one_of("format", format, FORMATS)
    from genriflow.api import DEFAULT_MODEL, describe_models

    models = describe_models()
    if format == "json":
        from genriflow.inference.output import write_json

        write_json([asdict(m) for m in models], console)
        return
    console.print("Built-in models, each figure with what it was fitted, chosen and tested "
                  "on (95 % intervals):", highlight=False,
                  soft_wrap=not console.is_terminal)
    for m in models:
        default = " (default)" if m.name == DEFAULT_MODEL else ""
        console.print(styled("\n", (f"{m.name}{default}", "bold"), f": {m.summary}"),
                      highlight=False, soft_wrap=not console.is_terminal)
        rows = [("accuracy", f"{m.accuracy:.3f} ({m.correct}/{m.n}, "
                             f"{m.interval[0]:.3f}-{m.interval[1]:.3f})"),
                ("macro rec.", _macro(m)),
                ("per genre", Cell(f"{g} {r:.2f} ({'/'.join(map(str, m.per_genre_counts[g]))})"
                                   for g, r in m.per_genre.items())),
                ("unknown", "" if m.unknown is None else
                 f"{m.unknown_rate:.3f} ({m.unknown}/{m.n}) of in-genre songs"),
                ("tested on", m.tested_on), ("trained on", m.trained_on),
                ("chosen on", m.chosen_on), ("also", m.notes)]
        if console.is_terminal:  # wrapped between words, under one another
            print_fields(console, rows)
            continue
        for label, text in rows:
            if text:
                console.print(f"  {label:<11}{text}", highlight=False)


def _macro(m) -> str:
    if m.macro_recall is None:
        return ""
    low, high = m.macro_recall_interval
    return (f"{m.macro_recall:.3f} ({low:.3f}-{high:.3f}, the genres' mean; "
            "per-genre Jeffreys draws)")


def model_and_audio(paths: list[Path], model: str | None) -> tuple[str, list[Path]]:
    """The model ``genriflow predict`` uses and its audio inputs, from its arguments.

    With ``--model``, every path is audio. Otherwise the first path is the model when it
    is a model folder (it has a ``config.json``) or, not being a file or folder, a
    built-in name. When it is audio instead (a file with an audio extension, there or
    not, or a folder with audio below it), every path is audio and the default model
    (:data:`genriflow.api.DEFAULT_MODEL`) classifies it (``--tags`` adds to the genres,
    never replaces them).

    Raises
    ------
    ModelError
        A first path that is neither a model nor audio: a mistyped model folder never
        silently becomes the default model.
    """
    from genriflow.api import DEFAULT_MODEL, available_models
    from genriflow.audio import AUDIO_EXTENSIONS
    from genriflow.datasets.discover import iter_audio_files
    from genriflow.models.answers import ModelError
    from genriflow.models.ref import check_model

    if model is not None:
        check_model(model)  # a mistyped --model is refused before any import or audio
        return model, paths
    if not paths:
        return DEFAULT_MODEL, paths
    first = paths[0]
    try:
        if (first / "config.json").is_file():
            return str(first), paths[1:]
        if not first.exists() and str(first) in available_models():
            return str(first), paths[1:]
        if not first.exists() and first.suffix.lower() in AUDIO_EXTENSIONS:
            why = ""  # a song gone since it was listed: failed by name, the others go on
        elif not first.exists():
            why = (f"no such file or folder, nor a built-in model "
                   f"({', '.join(available_models())})")
        elif first.is_dir():
            why = "" if iter_audio_files(first) else (
                "a folder with no audio files below it and no config.json (not a model "
                "folder)")
        elif first.suffix.lower() not in AUDIO_EXTENSIONS:
            kind = f"{first.suffix} file" if first.suffix else "file without an extension"
            why = f"a {kind}: neither audio nor a model folder (a model is a folder)"
        else:
            why = ""
    except PermissionError:  # in a folder this user may not enter: audio, failed by name
        why = ""
    if why:
        raise ModelError(f"`{first}`: {why}")
    return DEFAULT_MODEL, paths
