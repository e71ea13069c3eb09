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

from __future__ import annotations

import json
import math
import os
import re
import tempfile
import warnings
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from beets import config as beets_config
from beets import ui
from beets.dbcore import types
from beets.plugins import BeetsPlugin
from beets.util import displayable_path

if TYPE_CHECKING:
    import optparse
    from collections.abc import Iterable, Iterator, Sequence

    from beets.importer import ImportSession, ImportTask
    from beets.library import Item, Library

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
#: Fields a learnt category's name may not take (its field is ``genriflow_<name>``).
RESERVED = {"genre", "genres", "confidence", "model", "unknown", "mood"}


@dataclass
class Change:
    """One field of one item: its value before and after (``old_set``: it had one)."""

    id: int
    path: str
    field: str
    old: Any
    new: Any
    old_set: bool = True

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "path": self.path, "field": self.field, "old": self.old,
                "new": self.new, "old_set": self.old_set}


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


def field_name(category: str) -> str:
    """The beets field of a learnt category model ``category``: ``genriflow_<name>``.

    >>> field_name("my-moods.v2")
    'genriflow_my_moods_v2'
    """
    return "genriflow_" + re.sub(r"\W", "_", category)


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
        if field in fields:
            parts.append(f"{field}={fields[field]}")
    own = {*FLOAT_FIELDS, "genriflow_genre", "genriflow_genres", "genriflow_model",
           "genriflow_unknown", "genriflow_mood", "genriflow_genre_set", "voice_instrumental"}
    parts += [f"{k}={v}" for k, v in fields.items() if k.startswith("genriflow_")
              and k not in own and not k.endswith(("_confidence", "_model"))]
    return ", ".join(str(p) for p in parts)


def has_genres_list() -> bool:
    """beets 2.x keeps an item's genres in the list field ``genres``; older ones ``genre``."""
    from beets.library import Item

    return "genres" in Item._fields


class GenriflowPlugin(BeetsPlugin):
    """``beet genriflow``: genriflow's analysis of beets items, an import stage and undo."""

    item_types = {**{name: types.Float(6) for name in FLOAT_FIELDS},
                  "genriflow_unknown": types.BOOLEAN}

    def __init__(self) -> None:
        super().__init__()
        self.config.add({
            "auto": False,          # analyse on import (an import stage)
            "model": "gtzan",       # a built-in name or a model folder
            "force": False,         # analyse again items this model analysed
            "write_genre": False,   # also set beets' own genre
            "overwrite_genre": False,  # replace a genre the user set (else fill empty ones)
            "genre_min_confidence": 0.5,
            "skip_unknown": True,   # no genre for a song the model calls none of its genres
            "canonical": dict(CANONICAL),
            "whitelist": [],        # allowed genres after the canonical map; empty: any
            "categories": [],       # learnt category models applied on every run
            "store": "",            # genriflow's feature store; empty: the command line's
            "library": "",          # genriflow's index for --learn; empty: beside beets'
            "jobs": 0,              # worker processes; 0: every core
            "excerpts": 0,          # 3 s excerpts a song; 0: adaptive (4, up to 24)
            "full": False,          # analyse whole songs
        })
        if self.config["auto"].get(bool):
            self.import_stages = [self.imported]
        # The configured categories' confidences are numbers too (range queries).
        self.item_types = {**self.item_types, **{
            field_name(name) + "_confidence": types.Float(6)
            for name in self.config["categories"].as_str_seq()}}

    # --- beets entry points -------------------------------------------------------------

    def commands(self) -> list[ui.Subcommand]:
        cmd = ui.Subcommand("genriflow", help="genres, moods and voice from the audio "
                                              "(genriflow, offline)")
        cmd.parser.usage = "%prog [options] [QUERY]"
        add = cmd.parser.add_option
        add("-p", "--pretend", action="store_true", default=False,
            help="show the changes, change nothing")
        add("-f", "--force", action="store_true", default=None,
            help="analyse again items this model already analysed")
        add("-w", "--write", action="store_true", dest="write", default=None,
            help="write beets' genre into the files (with write_genre: yes)")
        add("-W", "--no-write", action="store_false", dest="write",
            help="change the library only, never the files")
        add("-m", "--model", help="a built-in model name or a model folder")
        add("-c", "--category", action="append", default=None, metavar="NAME",
            help="apply a category model learnt with --learn (repeatable)")
        add("--plan", metavar="FILE", help="record every field set (old and new) in FILE")
        add("--undo", metavar="FILE", help="put back the old values a --plan FILE recorded")
        add("--apply", metavar="FILE", help="set exactly the new values a plan FILE holds")
        add("--learn", metavar="NAME", help="learn a category model NAME from --from-field "
                                            "or --from-playlist")
        add("--from-field", metavar="FIELD", help="the beets field whose values are the "
                                                  "categories (with --learn)")
        add("--from-playlist", action="append", default=None, metavar="FILE",
            help="an m3u/m3u8 playlist per category, named after the file (with --learn; "
                 "repeatable)")
        cmd.func = self.command
        return [cmd]

    def command(self, lib: Library, opts: optparse.Values, args: list[str]) -> None:
        import genriflow

        write = ui.should_write(opts.write)
        try:
            if opts.undo or opts.apply:
                changes = read_plan(opts.undo or opts.apply)
                restore(lib, changes, undo=bool(opts.undo), write=write,
                        pretend=opts.pretend, log=ui.print_)
                return
            if opts.learn:
                if bool(opts.from_field) == bool(opts.from_playlist):
                    raise ui.UserError("--learn needs --from-field FIELD or --from-playlist "
                                       "FILE (one per category), not both")
                self.learn(lib.items(args), opts.learn, field=opts.from_field,
                           playlists=opts.from_playlist)
                return
            if opts.from_field or opts.from_playlist:
                raise ui.UserError("--from-field and --from-playlist go with --learn NAME")
            if opts.force is not None:
                self.config["force"].set(opts.force)
            if opts.model:
                self.config["model"].set(opts.model)
            categories = opts.category or self.config["categories"].as_str_seq()
            changes = self.analyse(list(lib.items(args)), write=write, pretend=opts.pretend,
                                   categories=categories)
        except genriflow.GenriflowError as err:
            raise ui.UserError(str(err)) from err
        if opts.plan:
            write_plan(opts.plan, changes)
            ui.print_(f"plan: {len(changes)} changes recorded in {opts.plan}")

    def imported(self, session: ImportSession, task: ImportTask) -> None:
        """The import stage (``auto: yes``): analyse the items just imported."""
        import genriflow

        try:
            self.analyse(list(task.imported_items()), write=False, pretend=False,
                         categories=self.config["categories"].as_str_seq())
        except genriflow.GenriflowError as err:
            self._log.error("{}", err)

    # --- the work -----------------------------------------------------------------------

    @contextmanager
    def file_warnings(self) -> Iterator[None]:
        """genriflow's warnings (a cut download, analysed for the part that decodes; a
        category with fewer songs than folds) as beets' log lines, ``genriflow: PATH:
        REASON``, not Python's warning display (its source line); other warnings as Python
        shows them."""
        from genriflow import GenriflowWarning

        caught: list[warnings.WarningMessage] = []
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", GenriflowWarning)
                yield
        finally:  # said even when the analysis stops with an error
            for said in caught:
                if issubclass(said.category, GenriflowWarning):
                    self._log.warning("{}", said.message)
                else:
                    warnings.warn_explicit(said.message, said.category, said.filename,
                                           said.lineno)

    def options(self) -> Any:
        """genriflow's :class:`~genriflow.RunOptions`: the configured store and workers."""
        import genriflow
        from genriflow.locations import default_store_dir

        store = self.config["store"].as_str() or default_store_dir()
        jobs = self.config["jobs"].get(int) or None
        return genriflow.RunOptions(store=Path(os.path.expanduser(str(store))), n_jobs=jobs)

    def sampling(self) -> dict[str, Any]:
        """``excerpts`` and ``full`` as :func:`genriflow.analyse` takes them."""
        return {"excerpts": self.config["excerpts"].get(int) or None,
                "full": self.config["full"].get(bool)}

    def library(self) -> Any:
        """genriflow's index (for own categories): ``library``, else beside beets' config."""
        import genriflow

        path = self.config["library"].as_str() or os.path.join(
            beets_config.config_dir(), "genriflow", "library.db")
        path = Path(os.path.expanduser(path))
        path.parent.mkdir(parents=True, exist_ok=True)
        return genriflow.Library(path)

    def analyse(self, items: Sequence[Item], *, write: bool, pretend: bool,
                categories: Sequence[str] = ()) -> list[Change]:
        """Analyse ``items`` (genre, moods, voice; each learnt category) and set their
        fields; returns every change. ``pretend``: print them only."""
        import genriflow

        model = self.config["model"].as_str()
        sampling = self.sampling()
        identity = genriflow.model_identity(model, **sampling).identity
        force = self.config["force"].get(bool)
        todo = [i for i in items if force or i.get("genriflow_model") != identity]
        if len(todo) < len(items):
            ui.print_(f"{len(items) - len(todo)} items already analysed by {identity} "
                      "(--force analyses them again)")
        paths = {i.id: os.fsdecode(i.path) for i in items}
        by_path = {os.path.normpath(paths[i.id]): i for i in items}
        new: dict[int, dict[str, Any]] = {i.id: {} for i in items}
        options = self.options()
        if todo:
            with self.file_warnings():
                analysis = genriflow.analyse([paths[i.id] for i in todo], model=model,
                                             tags=True, options=options, **sampling)
            for error in analysis.errors:
                self._log.warning("{}", error)
            tags = {os.path.normpath(t.path): t for t in analysis.tags}
            for prediction in analysis.predictions:
                key = os.path.normpath(prediction.path)
                item = by_path[key]
                new[item.id] = song_fields(prediction, tags.get(key), identity)
                new[item.id].update(self.genre_of(item, prediction))
        for name in categories:
            self.categorise(name, items, by_path, new, options)
        changes: list[Change] = []
        for item in items:
            if new[item.id]:
                changes.extend(self.update(item, new[item.id], write=write,
                                           pretend=pretend))
        return changes

    def genre_of(self, item: Item, prediction: Any) -> dict[str, Any]:
        """beets' own genre field, with ``write_genre: yes``: the canonical name of the
        model's genre when whitelisted, confident enough and known; never replacing a
        genre the user set unless ``overwrite_genre``."""
        if not self.config["write_genre"].get(bool):
            return {}
        if prediction.unknown and self.config["skip_unknown"].get(bool):
            return {}
        if float(max(prediction.probabilities)) < self.config["genre_min_confidence"].get(
                float):
            return {}
        canonical = {k.lower(): str(v) for k, v in self.config["canonical"].get(dict).items()}
        genre = canonical.get(prediction.genre.lower(), prediction.genre)
        whitelist = {g.lower() for g in self.config["whitelist"].as_str_seq()}
        if whitelist and genre.lower() not in whitelist:
            return {}
        field = "genres" if has_genres_list() else "genre"
        now = item.get(field)
        empty = not now
        earlier = item.get("genriflow_genre_set")  # genriflow's own earlier value
        if not (empty or self.config["overwrite_genre"].get(bool) or
                (earlier and same(now, [earlier] if field == "genres" else earlier))):
            return {}
        return {field: [genre] if field == "genres" else genre,
                "genriflow_genre_set": genre}

    def categorise(self, name: str, items: Sequence[Item], by_path: dict[str, Item],
                   new: dict[int, dict[str, Any]], options: Any) -> None:
        """Apply the category model ``name`` learnt by :meth:`learn`: its category (or
        ``unsure``, below its ``min_confidence``), confidence and model identity per item
        it has not classified yet (or every item, with ``force``)."""
        import genriflow

        if name.lower() in RESERVED:
            raise ui.UserError(f"category name {name!r} is taken by a genriflow field")
        with self.library() as library:
            folder = library.model_folder(name)
        if not (Path(folder) / "config.json").is_file():
            raise ui.UserError(f"no category model {name!r}: learn it first with "
                               f"`beet genriflow --learn {name} --from-field FIELD`")
        field = field_name(name)
        sampling = self.sampling()
        identity = genriflow.model_identity(folder, **sampling).identity
        todo = [i for i in items if self.config["force"].get(bool)
                or i.get(field + "_model") != identity]
        if len(todo) < len(items):
            ui.print_(f"{len(items) - len(todo)} items already in categories by {name} "
                      "(--force applies it again)")
        if not todo:
            return
        model = genriflow.load_model(folder)
        threshold = float(model.config.get("min_confidence") or 0.0)
        with self.file_warnings():
            result = genriflow.classify([os.fsdecode(i.path) for i in todo], model=model,
                                        options=options, **sampling)
        for error in result.errors:
            self._log.warning("{}", error)
        for prediction in result.predictions:
            item = by_path[os.path.normpath(prediction.path)]
            confidence = float(max(prediction.probabilities))
            new[item.id][field] = prediction.genre if confidence >= threshold else "unsure"
            new[item.id][field + "_confidence"] = confidence
            new[item.id][field + "_model"] = identity

    def update(self, item: Item, fields: dict[str, Any], *, write: bool,
               pretend: bool) -> list[Change]:
        """Set ``fields`` on ``item`` (store; with ``write`` and a tag among them, write
        the file through beets); returns the changes made."""
        changes = []
        for field, value in fields.items():
            old_set = field in item
            old = item.get(field) if old_set else None
            if old_set and same(old, value):
                continue
            changes.append(Change(item.id, displayable_path(item.path), field,
                                  list(old) if isinstance(old, list) else old, value,
                                  old_set))
        if not changes:
            return []
        ui.print_(f"{displayable_path(item.path)}: {summarise(fields)}")
        if pretend:
            return changes
        for change in changes:
            item[change.field] = change.new
        tag_changed = any(c.field in item._media_fields for c in changes)
        item.store()
        if write and tag_changed:
            item.try_write()
        return changes

    # --- own categories -----------------------------------------------------------------

    def learn(self, items: Iterable[Item], name: str, *, field: str | None = None,
              playlists: Sequence[str] | None = None) -> None:
        """Learn the category model ``name`` through genriflow's own-categories API
        (:meth:`genriflow.Library.learn`): from the values of the beets field ``field``
        (one category per value), or from ``playlists`` (one m3u/m3u8 per category, named
        after the file), among ``items``."""
        if name.lower() in RESERVED:
            raise ui.UserError(f"category name {name!r} is taken by a genriflow field")
        items = list(items)
        with tempfile.TemporaryDirectory() as lists:
            if playlists:
                sources = [Path(p) for p in playlists]
            else:
                groups = self._groups(items, str(field))
                sources = []
                for value, paths in sorted(groups.items()):
                    playlist = Path(lists) / f"{value}.m3u8"
                    playlist.write_text("#EXTM3U\n" + "\n".join(paths) + "\n",
                                        encoding="utf-8")
                    sources.append(playlist)
            folders = sorted({os.path.dirname(os.path.abspath(os.fsdecode(i.path)))
                              for i in items})
            with self.library() as library, self.file_warnings():
                library.scan([f for f in folders if not any(
                    f.startswith(o + os.sep) for o in folders)])
                report = library.learn(name, from_playlists=sources, options=self.options())
        ui.print_(str(report))
        for entry, why in report.skipped:
            ui.print_(f"  skipped {entry}: {why}")
        for error in report.errors:
            ui.print_(f"  skipped {error}")
        for label, n in report.dropped.items():
            ui.print_(f"  dropped {label}: {n} songs, too few")
        for label, figures in report.evaluation.per_category.items():
            ui.print_(f"  {label}: {figures.songs} songs, precision {figures.precision:.3f}, "
                      f"recall {figures.recall:.3f}")
        ui.print_(f"apply it: beet genriflow --category {name} (field {field_name(name)})")

    @staticmethod
    def _groups(items: Sequence[Item], field: str) -> dict[str, list[str]]:
        """The items' absolute paths by their value of ``field`` (one value each)."""
        groups: dict[str, list[str]] = {}
        skipped: Counter[str] = Counter()
        for item in items:
            value = item.get(field)
            if isinstance(value, list) and len(value) > 1:
                skipped["several values"] += 1
                continue
            value = str((value[0] if value else "") if isinstance(value, list)
                        else value or "").strip()
            if not value or "/" in value or value.startswith("."):
                skipped["no value usable as a category name"] += 1
                continue
            groups.setdefault(value, []).append(os.path.abspath(os.fsdecode(item.path)))
        if skipped:
            ui.print_("skipped: " + ", ".join(f"{n} items ({why})"
                                              for why, n in skipped.items()))
        if len(groups) < 2:
            raise ui.UserError(f"the field {field!r} has {len(groups)} distinct values "
                               "among these items; a category model needs at least two")
        return groups


# --- plans: what a run set, and undo ------------------------------------------------------


def write_plan(path: str | os.PathLike, changes: Sequence[Change]) -> None:
    """Save ``changes`` as a JSON plan (old and new value of every field set)."""
    Path(path).write_text(json.dumps({
        "format": PLAN_FORMAT, "version": 1,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "changes": [c.as_json() for c in changes]}, indent=1, ensure_ascii=False) + "\n",
        encoding="utf-8")


def read_plan(path: str | os.PathLike) -> list[Change]:
    """The changes of a plan written by :func:`write_plan`."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise ui.UserError(f"cannot read the plan {path}: {err}") from err
    if not isinstance(data, dict) or data.get("format") != PLAN_FORMAT:
        raise ui.UserError(f"{path} is not a genriflow plan")
    return [Change(**c) for c in data["changes"]]


def restore(lib: Library, changes: Sequence[Change], *, undo: bool, write: bool,
            pretend: bool, log: Any) -> tuple[int, int]:
    """Put back the old values of ``changes`` (``undo``), or set their new values (apply).

    A field whose value is no longer what the plan expects (the user changed it since),
    and an item that is not at the plan's path (another library, or moved), are left
    alone and listed. Returns (fields changed, fields left alone).
    """
    by_item: dict[int, list[Change]] = {}
    for change in changes:
        by_item.setdefault(change.id, []).append(change)
    done = left = 0
    for item_id, item_changes in by_item.items():
        item = lib.get_item(item_id)
        if item is None or displayable_path(item.path) != item_changes[0].path:
            log(f"{item_changes[0].path}: not in this library (or moved since the plan); "
                "left alone")
            left += len(item_changes)
            continue
        touched = []
        for c in item_changes:
            expected_set, expected = (True, c.new) if undo else (c.old_set, c.old)
            present = c.field in item
            if present != expected_set or (present and not same(item.get(c.field),
                                                                expected)):
                log(f"{displayable_path(item.path)}: {c.field} changed since the plan; "
                    "left alone")
                left += 1
                continue
            touched.append(c)
        if not touched:
            continue
        done += len(touched)
        log(f"{displayable_path(item.path)}: {len(touched)} fields "
            f"{'to put back' if undo else 'to set'}" if pretend else
            f"{displayable_path(item.path)}: {len(touched)} fields "
            f"{'put back' if undo else 'set'}")
        if pretend:
            continue
        for c in touched:
            if undo and not c.old_set:
                del item[c.field]
            else:
                item[c.field] = c.old if undo else c.new
        item.store()
        if write and any(c.field in item._media_fields for c in touched):
            item.try_write()
    log(f"{'undo' if undo else 'apply'}: {done} fields {'to change' if pretend else 'changed'}"
        f", {left} left alone")
    return done, left
