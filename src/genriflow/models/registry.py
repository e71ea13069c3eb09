"""Built-in models: ready to use by name, with no model folder.

:func:`genriflow.models.folder.load_model` takes one of these names wherever it takes a
model folder; a folder of the same name wins.
"""

from __future__ import annotations

from collections.abc import Callable

from genriflow.models.base import GenreClassifier


def _zero_shot(device: str) -> GenreClassifier:
    from genriflow.models.zero_shot import ZeroShotGenreModel

    return ZeroShotGenreModel()


#: Name -> factory ``(device) -> model``; a factory imports its model only when called.
BUILT_IN_MODELS: dict[str, Callable[[str], GenreClassifier]] = {
    "zero-shot": _zero_shot,
}


def available_models() -> list[str]:
    """The names of the built-in models, e.g. ``['zero-shot']``."""
    return list(BUILT_IN_MODELS)

