"""Own categories: a category model learnt from a beets field or playlists, applied as a
field ``genriflow_<name>``, through genriflow's own-categories API
(:meth:`genriflow.Library.learn`, :func:`genriflow.classify`)."""

from __future__ import annotations

import os
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from beets import ui

from beetsplug.genriflow.fields import (
    OWN_FIELDS,
    RESERVED,
    category_fields,
    counted,
    field_name,
    shared_field,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from beets.library import Item

    from beetsplug.genriflow.plugin import GenriflowPlugin


def learn(plugin: GenriflowPlugin, items: Iterable[Item], name: str, *,
          field: str | None = None, playlists: Sequence[str] | None = None,
          query: str = "", progress: bool = False) -> None:
    """Learn the category model ``name`` through genriflow's own-categories API
    (:meth:`genriflow.Library.learn`): from the values of the beets field ``field``
    (one category per value), or from ``playlists`` (one m3u/m3u8 per category, named
    after the file), among ``items`` (those of ``query``; a playlist's other songs are
    named and left out). ``progress``: progress bars while scanning and analysing."""
    from genriflow.library import check_name

    check_own_fields(name)
    for other in plugin.learnt():  # learnt again under its own name: its fields, kept
        if other != name and (field := shared_field(other, name)):
            raise ui.UserError(f"category name {name!r} would set the field {field}, as "
                               f"the learnt category {other!r} does; choose another name")
    check_name(name)  # before the scan and the analysis, not after them
    items = list(items)
    with tempfile.TemporaryDirectory() as lists:
        if playlists:
            sources = among(playlists, items, Path(lists), query)
        else:
            by_value = groups(items, str(field))
            sources = []
            for value, paths in sorted(by_value.items()):
                playlist = Path(lists) / f"{value}.m3u8"
                playlist.write_text("#EXTM3U\n" + "\n".join(paths) + "\n",
                                    encoding="utf-8")
                sources.append(playlist)
        folders = sorted({os.path.dirname(os.path.abspath(os.fsdecode(i.path)))
                          for i in items})
        with plugin.library() as library, plugin.file_warnings():
            library.scan([f for f in folders if not any(
                f.startswith(o + os.sep) for o in folders)], progress=progress)
            report = library.learn(name, from_playlists=sources,
                                   options=plugin.options(progress=progress))
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


def among(playlists: Sequence[str], items: Sequence[Item], folder: Path,
          query: str) -> list[Path]:
    """``playlists`` as copies in ``folder`` that list only songs among ``items``; the
    other songs of each are named and counted in one line (left to the index, a song
    beside an item would be learnt from, one elsewhere skipped, neither said)."""
    from genriflow.library import PLAYLIST_SUFFIXES, read_playlist

    ours = {os.path.normpath(os.path.abspath(os.fsdecode(i.path))) for i in items}
    where = f"items of the query {query}" if query else "in the beets library"
    copies = []
    for n, given in enumerate(playlists):
        playlist = Path(given)
        if not playlist.is_file() or playlist.suffix.lower() not in PLAYLIST_SUFFIXES:
            copies.append(playlist)  # genriflow refuses it in its own words
            continue
        try:
            entries = read_playlist(playlist)
        except OSError as err:
            raise ui.UserError(f"cannot read the playlist {playlist}: "
                               f"{err.strerror or err}") from err
        outside = [e for e in entries if os.path.normpath(e) not in ours]
        if outside:
            named = ", ".join(outside[:3]) + (f" and {len(outside) - 3} more"
                                              if len(outside) > 3 else "")
            ui.print_(f"{playlist}: {counted(len(outside), 'song')} not {where}, left "
                      f"out: {named}")
        copy = folder / str(n) / playlist.name  # the category keeps the file's name
        copy.parent.mkdir()
        copy.write_text("#EXTM3U\n" + "".join(e + "\n" for e in entries
                                               if os.path.normpath(e) in ours),
                        encoding="utf-8")
        copies.append(copy)
    return copies


def groups(items: Sequence[Item], field: str) -> dict[str, list[str]]:
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
        ui.print_("skipped: " + ", ".join(f"{counted(n, 'item')} ({why})"
                                          for why, n in skipped.items()))
    if len(groups) < 2:
        raise ui.UserError(f"the field {field!r} has {len(groups)} distinct values "
                           "among these items; a category model needs at least two")
    return groups


def check_own_fields(name: str) -> None:
    """A :class:`~beets.ui.UserError` when the category ``name``'s fields would be
    genriflow's own (``mood_calm``: ``genriflow_mood_calm``)."""
    taken = {f.casefold() for f in OWN_FIELDS}
    if name.lower() in RESERVED or any(f.casefold() in taken for f in category_fields(name)):
        raise ui.UserError(f"category name {name!r} is taken by a genriflow field")


def check_together(names: Sequence[str]) -> list[str]:
    """``names`` once each, as one run applies them; a :class:`~beets.ui.UserError`
    naming two of them that would set the same field (``my-moods`` and ``my_moods``: the
    second would overwrite the first's category)."""
    once = list(dict.fromkeys(names))
    for n, name in enumerate(once):
        for other in once[:n]:
            if field := shared_field(other, name):
                raise ui.UserError(f"categories {other!r} and {name!r} would both set the "
                                   f"field {field}; apply one of them at a time")
    return once


def category_folder(plugin: GenriflowPlugin, name: str) -> str | os.PathLike:
    """The folder of the category model ``name`` learnt by :func:`learn`; a
    :class:`~beets.ui.UserError` when there is none (checked before a run analyses
    anything, so a mistyped name costs no analysis)."""
    check_own_fields(name)
    with plugin.library() as library:
        folder = library.model_folder(name)
    if not (Path(folder) / "config.json").is_file():
        raise ui.UserError(f"no category model {name!r}: learn it first with "
                           f"`beet genriflow --learn {name} --from-field FIELD`")
    return folder


@dataclass
class Category:
    """A learnt category model as one run applies it: its beets field, its identity and
    loaded model, and the ids of the items still to classify (:func:`prepare`)."""

    name: str
    field: str
    identity: str
    model: Any
    threshold: float
    todo: set[int]


def prepare(plugin: GenriflowPlugin, name: str, items: Sequence[Item]) -> Category:
    """The category model ``name`` learnt by :func:`learn`, loaded once for the run, and
    the items it has not classified yet (every item, with ``force``); says how many it
    already has."""
    import genriflow

    folder = category_folder(plugin, name)
    identity = genriflow.model_identity(folder, **plugin.sampling()).identity
    field = field_name(name)
    todo = {i.id for i in items if plugin.config["force"].get(bool)
            or i.get(field + "_model") != identity}
    if len(todo) < len(items):
        ui.print_(f"{counted(len(items) - len(todo), 'item')} already in categories by {name} "
                  "(--force applies it again)")
    model = genriflow.load_model(folder) if todo else None
    threshold = float(model.config.get("min_confidence") or 0.0) if model else 0.0
    return Category(name, field, identity, model, threshold, todo)


def categorise(plugin: GenriflowPlugin, category: Category, items: Sequence[Item],
               by_path: dict[str, Item], new: dict[int, dict[str, Any]],
               options: Any) -> list[Any]:
    """Apply ``category`` to those of ``items`` it has still to classify: its category
    (or ``unsure``, below its ``min_confidence``), confidence and model identity in
    ``new``. Returns the files that could not be classified (genriflow's errors)."""
    import genriflow

    todo = [i for i in items if i.id in category.todo]
    if not todo:
        return []
    result = genriflow.classify([os.fsdecode(i.path) for i in todo], model=category.model,
                                options=options, **plugin.sampling())
    for prediction in result.predictions:
        item = by_path[os.path.normpath(prediction.path)]
        confidence = float(max(prediction.probabilities))
        field = category.field
        new[item.id][field] = (prediction.genre if confidence >= category.threshold
                               else "unsure")
        new[item.id][field + "_confidence"] = confidence
        new[item.id][field + "_model"] = category.identity
    return list(result.errors)
