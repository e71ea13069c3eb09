"""The beets fields genriflow sets, and how an analysis becomes them (no beets state).

:func:`song_fields` turns one song's genriflow answer (a
:class:`~genriflow.inference.predict.Prediction` and its
:class:`~genriflow.inference.tags.SongTags`) into beets fields, :func:`summarise` into
the line the plugin prints, :func:`same` compares a field's value before and after.
"""

from __future__ import annotations

import math
import re
from typing import Any

#: genriflow's moods -> the beets field that holds its score. The four names
#: BeetsPluginXtractor / AcousticBrainz use with the same meaning keep theirs; genriflow's
#: other moods (no Essentia counterpart) get a ``genriflow_mood_`` field.
MOOD_FIELDS = {
    "happy": "mood_happy",
    "sad": "mood_sad",
    "party": "mood_party",
    "chill": "mood_relaxed",
    "mellow": "genriflow_mood_mellow",
    "beautiful": "genriflow_mood_beautiful",
    "energetic": "genriflow_mood_energetic",
    "calm": "genriflow_mood_calm",
    "dark": "genriflow_mood_dark",
}

#: GTZAN's genre names as beets users spell genres (the default canonical map).
CANONICAL = {"blues": "Blues", "classical": "Classical", "country": "Country",
             "disco": "Disco", "hiphop": "Hip-Hop", "jazz": "Jazz", "metal": "Metal",
             "pop": "Pop", "reggae": "Reggae", "rock": "Rock"}

FLOAT_FIELDS = ["genriflow_confidence", "is_voice", "is_instrumental",
                *MOOD_FIELDS.values()]
PLAN_FORMAT = "genriflow-beets-plan"
#: The fields genriflow sets beyond its own ``genriflow_...`` ones: the Xtractor names it
#: shares and beets' genre. A plan names no other (see :func:`sets`).
SHARED_FIELDS = frozenset({*(f for f in MOOD_FIELDS.values() if not f.startswith(
    "genriflow_")), "voice_instrumental", "is_voice", "is_instrumental", "genre", "genres"})
#: Fields a learnt category's name may not take (its field is ``genriflow_<name>``).
RESERVED = {"genre", "genres", "confidence", "model", "unknown", "mood"}
#: genriflow's own fields: a learnt category's fields (``genriflow_<name>``, its
#: ``_confidence`` and ``_model``) may not be one of them.
OWN_FIELDS = frozenset({*(f for f in FLOAT_FIELDS if f.startswith("genriflow_")),
                        "genriflow_genre", "genriflow_genres", "genriflow_model",
                        "genriflow_unknown", "genriflow_mood", "genriflow_genre_set"})


def same(a: Any, b: Any) -> bool:
    """Whether two field values are equal (floats to 1e-9 relative, lists item by item; a
    number beets read back as text, from a field no plugin types, as that number).

    >>> same(0.1 + 0.2, 0.3), same("0.25", 0.25), same(["Jazz"], ["Jazz"]), same("a", 1.0)
    (True, True, True, False)
    """
    if isinstance(a, str) != isinstance(b, str) and isinstance(a, float | str) and \
            isinstance(b, float | str):
        try:
            a, b = float(a), float(b)
        except ValueError:
            return False
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def sets(field: str) -> bool:
    """Whether genriflow sets ``field`` (so a plan may name it): ``--apply`` of a plan
    edited to name ``title`` or ``path`` would otherwise change, and write into the
    file, a field genriflow never touches.

    >>> sets("mood_happy"), sets("genriflow_shelf_confidence"), sets("genres"), sets("path")
    (True, True, True, False)
    """
    return field.startswith("genriflow_") or field in SHARED_FIELDS


def field_name(category: str) -> str:
    """The beets field of a learnt category model ``category``: ``genriflow_<name>``.

    >>> field_name("my-moods.v2")
    'genriflow_my_moods_v2'
    """
    return "genriflow_" + re.sub(r"\W", "_", category)


def category_fields(category: str) -> list[str]:
    """The beets fields a learnt category model ``category`` sets.

    >>> category_fields("shelf")
    ['genriflow_shelf', 'genriflow_shelf_confidence', 'genriflow_shelf_model']
    """
    field = field_name(category)
    return [field, field + "_confidence", field + "_model"]


def shared_field(a: str, b: str) -> str | None:
    """A field both category models ``a`` and ``b`` would set (``my-moods`` and
    ``my_moods`` both set ``genriflow_my_moods``; ``x`` and ``x_confidence`` both
    ``genriflow_x_confidence``), else ``None``; compared ignoring case, as a folder name
    may be on a case-insensitive file system.

    >>> shared_field("my-moods", "my_moods"), shared_field("x", "x_confidence")
    ('genriflow_my_moods', 'genriflow_x_confidence')
    >>> shared_field("shelf", "shelves") is None
    True
    """
    theirs = {f.casefold() for f in category_fields(a)}
    return next((f for f in category_fields(b) if f.casefold() in theirs), None)


def song_fields(prediction: Any, tags: Any, identity: str) -> dict[str, Any]:
    """The beets fields of one song from genriflow's
    :class:`~genriflow.inference.predict.Prediction` and
    :class:`~genriflow.inference.tags.SongTags` (either may be ``None``)."""
    fields: dict[str, Any] = {}
    if prediction is not None:
        fields["genriflow_genre"] = prediction.genre
        fields["genriflow_genres"] = "; ".join(g for g, _ in prediction.genres)
        fields["genriflow_confidence"] = float(max(prediction.probabilities))
        fields["genriflow_model"] = identity
        if prediction.unknown is not None:
            fields["genriflow_unknown"] = bool(prediction.unknown)
    if tags is not None:
        for mood, score in tags.moods:
            if mood in MOOD_FIELDS:
                fields[MOOD_FIELDS[mood]] = float(score)
        fields["genriflow_mood"] = tags.moods[0][0] if tags.moods else ""
        fields["voice_instrumental"] = "voice" if tags.voice == "vocal" else "instrumental"
        fields["is_voice"] = float(tags.vocal_probability)
        fields["is_instrumental"] = 1.0 - float(tags.vocal_probability)
    return fields


def summarise(fields: dict[str, Any]) -> str:
    """One line of what matters most among an item's new ``fields``.

    >>> summarise({"genriflow_genre": "rock", "genriflow_confidence": 0.61,
    ...            "voice_instrumental": "voice", "genriflow_mine": "calm"})
    'rock 61%, voice, genriflow_mine=calm'
    >>> summarise({"genriflow_genre": "hiphop", "genres": ["Hip-Hop"]})
    'hiphop, genres=Hip-Hop'
    """
    parts = []
    if "genriflow_genre" in fields:
        guess = fields["genriflow_genre"] + (f" {fields['genriflow_confidence']:.0%}" if
                                             "genriflow_confidence" in fields else "")
        parts.append(f"unknown (best guess: {guess})" if fields.get("genriflow_unknown")
                     else guess)
    if "voice_instrumental" in fields:
        parts.append(fields["voice_instrumental"])
    for field in ("genres", "genre"):
        if field in fields:  # beets 2's genres is a list: shown as beets joins it
            value = fields[field]
            parts.append(f"{field}={'; '.join(value) if isinstance(value, list) else value}")
    own = {*FLOAT_FIELDS, "genriflow_genre", "genriflow_genres", "genriflow_model",
           "genriflow_unknown", "genriflow_mood", "genriflow_genre_set", "voice_instrumental"}
    parts += [f"{k}={v}" for k, v in fields.items() if k.startswith("genriflow_")
              and k not in own and not k.endswith(("_confidence", "_model"))]
    return ", ".join(str(p) for p in parts)


def has_genres_list() -> bool:
    """beets 2.x keeps an item's genres in the list field ``genres``; older ones ``genre``."""
    from beets.library import Item

    return "genres" in Item._fields


def counted(n: int, noun: str) -> str:
    """``n`` and ``noun``, plural unless ``n`` is one, as genriflow's own messages count
    (kept here: genriflow's helper is no part of its public API).

    >>> counted(1, "item"), counted(0, "field")
    ('1 item', '0 fields')
    """
    return f"{n} {noun if n == 1 else noun + 's'}"
