"""genriflow for beets: genres, moods and voice from the audio, offline, with undo.

A thin layer over genriflow's public API (:func:`genriflow.analyse`,
:func:`genriflow.classify`, :class:`genriflow.Library` for own categories). Enable it with
``plugins: genriflow`` in beets' configuration; ``beet genriflow --help`` lists the options
and ``docs/beets.md`` documents the fields and their meaning.

Fields (flexible attributes; the float ones typed, so ``beet ls mood_happy:0.6..`` works):

=========================  ==========================================================
``genriflow_genre``        the model's most probable genre (its best guess)
``genriflow_genres``       every genre the model names (``; ``-joined)
``genriflow_confidence``   the top genre's probability
``genriflow_model``        the model's name and version (its identity)
``genriflow_unknown``      the model's reject rule calls the song none of its genres
``mood_happy`` ...         the musicnn taggers' mood scores (see :data:`MOOD_FIELDS`)
``voice_instrumental``     ``voice`` or ``instrumental``, as Essentia names them
``is_voice``               vocal tags' share (``is_instrumental``: the instrumental's)
=========================  ==========================================================
"""

from beetsplug.genriflow.fields import (
    CANONICAL,
    FLOAT_FIELDS,
    MOOD_FIELDS,
    RESERVED,
    field_name,
    has_genres_list,
    same,
    song_fields,
    summarise,
)
from beetsplug.genriflow.plans import PLAN_FORMAT, Change, read_plan, restore, write_plan
from beetsplug.genriflow.plugin import GenriflowPlugin

__all__ = ["CANONICAL", "FLOAT_FIELDS", "MOOD_FIELDS", "PLAN_FORMAT", "RESERVED", "Change",
           "GenriflowPlugin", "field_name", "has_genres_list", "read_plan", "restore", "same",
           "song_fields", "summarise", "write_plan"]
