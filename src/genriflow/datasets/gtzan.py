"""GTZAN facts: the ten genres, clip keys, and the fault-filtered split shipped in the package."""

from __future__ import annotations

import re
from importlib import resources

#: Tzanetakis' ten genres, in GTZAN's alphabetical order.
GTZAN_GENRES: tuple[str, ...] = (
    "blues", "classical", "country", "disco", "hiphop",
    "jazz", "metal", "pop", "reggae", "rock",
)

#: Clip numbers per group of GTZAN clips: neighbouring numbers often share an artist, so a
#: block of this many numbers within a genre stands in for the artist GTZAN does not name.
GROUP_SPAN = 10

_CLIP_RE = re.compile(r"(?P<genre>[a-z]+)\.(?P<number>\d{5})(?:\.|$)")


def clip_key(name: str) -> str | None:
    """The extension-free GTZAN clip key of a file name, e.g. ``'jazz.00054'``.

    Returns ``None`` when the name does not follow GTZAN's ``genre.NNNNN.ext`` pattern.
    Copies of GTZAN come as ``.au`` or ``.wav``; the key matches either, and a Kaggle
    3-second segment such as ``blues.00000.3.wav`` maps to its track ``blues.00000``.
    """
    m = _CLIP_RE.match(name.replace("\\", "/").rsplit("/", 1)[-1])
    if m is None or m["genre"] not in GTZAN_GENRES:
        return None
    return f"{m['genre']}.{m['number']}"


def clip_group(key: str, span: int = GROUP_SPAN) -> str:
    """The ``genre-block`` group of a GTZAN clip key ``genre.NNNNN`` (block: number // span).

    The proxy for an artist that the built-in model's cross-validation and the grouped
    splits of GTZAN-named files use.

    >>> clip_group("blues.00012"), clip_group("blues.00019"), clip_group("jazz.00012")
    ('blues-1', 'blues-1', 'jazz-1')
    """
    genre, number = str(key).rsplit(".", 1)
    return f"{genre}-{int(number) // span}"


def fault_filtered_split() -> dict[str, str]:
    """Clip key -> ``'train' | 'valid' | 'test'`` for the Kereliuk, Sturm & Larsen (2015) split.

    930 of GTZAN's 1000 clips (443/197/290); the 70 replicated, mislabelled or distorted
    excerpts are absent on purpose, and every artist stays inside one part.
    """
    parts = {"train": "train_filtered.txt", "valid": "valid_filtered.txt",
             "test": "test_filtered.txt"}
    out: dict[str, str] = {}
    folder = resources.files("genriflow.datasets") / "splits"
    for part, filename in parts.items():
        for line in (folder / filename).read_text().splitlines():
            key = clip_key(line.strip())
            if key is not None:
                out[key] = part
    return out
