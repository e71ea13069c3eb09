"""genriflow: tell which genre a piece of music belongs to, from the audio itself.

The front door (each name imported on first use, so ``import genriflow`` stays fast):

>>> import genriflow
>>> genriflow.available_models()
['gtzan', 'gtzan-fusion', 'gtzan-table', 'library-genres', 'zero-shot']
>>> model = genriflow.load_model("zero-shot")
>>> len(model.labels)
10

``genriflow.classify(path_or_waveform)`` gives a song's genres; ``Classifier`` keeps a model
warm for many calls; ``analyse`` gives genres and tags in one pass (one input gives one
result, a list or a folder a list-like ``Batch`` with ``errors``: see :mod:`genriflow.api`;
``read_file_list`` reads a list of songs too long for a command line, ``write_file_list``
writes one: a batch's failed songs, to run again);
``tag``, ``similar``,
``extract_features``, ``train``, ``tune``, ``evaluate`` (``open_set``: can it tell a genre
it never saw), ``compare``, ``cluster`` and ``plot`` do the other jobs; ``Library`` indexes a
music collection (scan, classify, list, export). Errors a user can fix derive from
``GenriflowError``.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: Public name -> the module that defines it.
_EXPORTS = {
    "classify": "genriflow.api",
    "Classifier": "genriflow.api",
    "load_model": "genriflow.api",
    "available_models": "genriflow.api",
    "describe_models": "genriflow.api",
    "model_identity": "genriflow.api",
    "probe": "genriflow.api",
    "read_file_list": "genriflow.datasets.discover",
    "write_file_list": "genriflow.datasets.discover",
    "tag": "genriflow.api",
    "analyse": "genriflow.api",
    "similar": "genriflow.api",
    "extract_features": "genriflow.api_training",
    "train": "genriflow.api_training",
    "tune": "genriflow.api_training",
    "evaluate": "genriflow.api_training",
    "open_set": "genriflow.api_training",
    "compare": "genriflow.api_training",
    "cluster": "genriflow.api_training",
    "plot": "genriflow.api",
    "Run": "genriflow.api_training",
    "RunOptions": "genriflow.features.options",
    "default_store_dir": "genriflow.locations",
    "Prediction": "genriflow.inference.predict",
    "Predictions": "genriflow.inference.predict",
    "SongTags": "genriflow.inference.tags",
    "Tagged": "genriflow.inference.tags",
    "SongAnswer": "genriflow.inference.pipeline",
    "Analysis": "genriflow.inference.pipeline",
    "Batch": "genriflow.inference.batch",
    "Clustering": "genriflow.api_training",
    "SimilarSongs": "genriflow.api",
    "TuneResult": "genriflow.workflows.tuning",
    "ModelDescription": "genriflow.models.registry",
    "AudioInfo": "genriflow.audio",
    "ModelRef": "genriflow.models.ref",
    "GenreClassifier": "genriflow.models.base",
    "Library": "genriflow.library",
    "LibraryError": "genriflow.library",
    "AudioWarning": "genriflow.audio.errors",
    "GenriflowError": "genriflow.errors",
    "GenriflowWarning": "genriflow.errors",
    "ConfigError": "genriflow.errors",
    "AudioError": "genriflow.audio.errors",
    "DatasetError": "genriflow.datasets.discover",
    "ModelError": "genriflow.models.base",
}

__all__ = [
    "__version__",
    "classify",
    "Classifier",
    "load_model",
    "available_models",
    "describe_models",
    "model_identity",
    "probe",
    "read_file_list",
    "write_file_list",
    "tag",
    "analyse",
    "similar",
    "extract_features",
    "train",
    "tune",
    "evaluate",
    "open_set",
    "compare",
    "cluster",
    "plot",
    "Run",
    "RunOptions",
    "default_store_dir",
    "Prediction",
    "Predictions",
    "SongTags",
    "Tagged",
    "SongAnswer",
    "Analysis",
    "Batch",
    "Clustering",
    "SimilarSongs",
    "TuneResult",
    "ModelDescription",
    "AudioInfo",
    "ModelRef",
    "GenreClassifier",
    "Library",
    "LibraryError",
    "AudioWarning",
    "GenriflowError",
    "GenriflowWarning",
    "ConfigError",
    "AudioError",
    "DatasetError",
    "ModelError",
]

if TYPE_CHECKING:
    from genriflow.api import (
        Classifier,
        SimilarSongs,
        analyse,
        available_models,
        classify,
        describe_models,
        load_model,
        model_identity,
        plot,
        probe,
        similar,
        tag,
    )
    from genriflow.api_training import (
        Clustering,
        Run,
        cluster,
        compare,
        evaluate,
        extract_features,
        open_set,
        train,
        tune,
    )
    from genriflow.audio import AudioInfo
    from genriflow.audio.errors import AudioError, AudioWarning
    from genriflow.datasets.discover import DatasetError, read_file_list, write_file_list
    from genriflow.errors import ConfigError, GenriflowError, GenriflowWarning
    from genriflow.features.options import RunOptions
    from genriflow.inference.batch import Batch
    from genriflow.inference.pipeline import Analysis, SongAnswer
    from genriflow.inference.predict import Prediction, Predictions
    from genriflow.inference.tags import SongTags, Tagged
    from genriflow.library import Library, LibraryError
    from genriflow.locations import default_store_dir
    from genriflow.models.base import GenreClassifier, ModelError
    from genriflow.models.ref import ModelRef
    from genriflow.models.registry import ModelDescription
    from genriflow.workflows.tuning import TuneResult


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'genriflow' has no attribute {name!r}")
    value = getattr(import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
