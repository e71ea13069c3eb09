"""Plans: every field a run set, old and new, as JSON; undo and apply from one.

``beet genriflow --plan FILE`` records the :class:`Change` list of a run
(:func:`write_plan`); ``--undo FILE`` puts the old values back and ``--apply FILE`` sets
the new ones (:func:`restore`), leaving alone any field the user changed since.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from beets import ui
from beets.util import displayable_path

from beetsplug.genriflow.fields import counted, same, sets

if TYPE_CHECKING:
    from collections.abc import Sequence

    from beets.library import Library

PLAN_FORMAT = "genriflow-beets-plan"


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



def check_plan_path(path: str | os.PathLike) -> None:
    """Refuse, before a run changes anything, a plan ``path`` that cannot be written (its
    folder missing or read-only, or a folder itself): found only after the run, the
    library would be changed with no plan to undo it. Refuse too a file there that is
    the only undo of earlier changes (:func:`why_kept`)."""
    target = Path(path)
    folder = target.parent
    why = ("it is a folder" if target.is_dir() else
           f"no folder {folder}" if not folder.is_dir() else
           "not writable" if not os.access(target if target.exists() else folder, os.W_OK)
           else why_kept(target) if target.exists() else "")
    if why:
        raise ui.UserError(f"cannot write the plan {path}: {why}")


def why_kept(path: Path) -> str:
    """Why the existing file ``path`` may not be replaced by a new plan ("" when it may):
    a plan of changes made (a run without ``--pretend``, or a reviewed plan since
    applied with ``--apply``) is their only undo, and a file that is no plan is not
    genriflow's to replace. A plan of a ``--pretend`` run not applied, and an empty
    file, may be (``--pretend --plan FILE`` again while reviewing)."""
    try:
        if path.stat().st_size == 0:
            return ""
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        data = None
    if not isinstance(data, dict) or data.get("format") != PLAN_FORMAT:
        return "it exists and is not a genriflow plan"
    if data.get("applied"):
        return (f"it was applied with --apply ({data['applied']}) and is the undo of "
                "that; name another FILE")
    if data.get("pretend") is not True:
        return "it is the undo of an earlier run's changes; name another FILE"
    return ""


def write_plan(path: str | os.PathLike, changes: Sequence[Change], *,
               pretend: bool = False) -> None:
    """Save ``changes`` as a JSON plan (old and new value of every field set);
    ``pretend``: the run changed nothing (the plan may be replaced until applied)."""
    try:
        Path(path).write_text(json.dumps({
            "format": PLAN_FORMAT, "version": 1,
            "created": datetime.now(UTC).isoformat(timespec="seconds"), "pretend": pretend,
            "changes": [c.as_json() for c in changes]}, indent=1, ensure_ascii=False)
            + "\n", encoding="utf-8")
    except OSError as err:
        raise ui.UserError(f"cannot write the plan {path}: {err.strerror or err}") from err


def mark_applied(path: str | os.PathLike) -> str:
    """Record in the plan ``path`` that ``--apply`` made its changes, so that it is kept
    as their undo (:func:`why_kept`); replaced whole, never left half-written. Returns
    why it could not be ("" when it was)."""
    target = Path(path)
    draft = target.with_name(target.name + ".genriflow-new")
    try:
        data = json.loads(target.read_text(encoding="utf-8"))
        data["applied"] = datetime.now(UTC).isoformat(timespec="seconds")
        draft.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n",
                         encoding="utf-8")
        os.replace(draft, target)
    except (OSError, ValueError) as err:
        draft.unlink(missing_ok=True)
        return getattr(err, "strerror", None) or str(err)
    return ""


def read_plan(path: str | os.PathLike) -> list[Change]:
    """The changes of a plan written by :func:`write_plan`."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise ui.UserError(f"cannot read the plan {path}: {err}") from err
    if not isinstance(data, dict) or data.get("format") != PLAN_FORMAT:
        raise ui.UserError(f"{path} is not a genriflow plan")
    entries = data.get("changes")
    if not isinstance(entries, list):
        raise ui.UserError(f"{path}: a genriflow plan without its list of changes")
    return [_change(path, n, entry) for n, entry in enumerate(entries, 1)]


def _change(path: str | os.PathLike, n: int, entry: Any) -> Change:
    """The ``n``-th entry of the plan ``path`` as a :class:`Change`, checked (a plan edited
    by hand is refused in one line, not with a traceback)."""
    if not isinstance(entry, dict):
        raise ui.UserError(f"{path}: change {n} is not an object")
    kinds = {"id": int, "path": str, "field": str}
    for key, kind in kinds.items():
        if not isinstance(entry.get(key), kind) or isinstance(entry.get(key), bool):
            raise ui.UserError(f"{path}: change {n} has no {kind.__name__} {key!r}")
    for key in ("old", "new"):
        if key not in entry:
            raise ui.UserError(f"{path}: change {n} has no {key!r} value")
    if not sets(entry["field"]):
        raise ui.UserError(f"{path}: change {n}: {entry['field']!r} is not a field "
                           "genriflow sets")
    if not isinstance(entry.get("old_set", True), bool):
        raise ui.UserError(f"{path}: change {n}: 'old_set' is not true or false")
    unknown = sorted(set(entry) - {*kinds, "old", "new", "old_set"})
    if unknown:
        raise ui.UserError(f"{path}: change {n} has unknown keys: {', '.join(unknown)}")
    return Change(**entry)


def restore(lib: Library, changes: Sequence[Change], *, undo: bool, write: bool,
            pretend: bool, log: Any) -> tuple[int, int]:
    """Put back the old values of ``changes`` (``undo``), or set their new values (apply).

    A field whose value is no longer what the plan expects (the user changed it since),
    and an item that is not at the plan's path (another library, or moved), are left
    alone and listed; a field that already holds the value asked for (a plan undone or
    applied twice) is counted as already so. Returns (fields changed, fields left alone).
    """
    by_item: dict[int, list[Change]] = {}
    for change in changes:
        by_item.setdefault(change.id, []).append(change)
    done = left = already = 0
    for item_id, item_changes in by_item.items():
        item = lib.get_item(item_id)
        if item is None or displayable_path(item.path) != item_changes[0].path:
            log(f"{item_changes[0].path}: not in this library (or moved since the plan); "
                "left alone")
            left += len(item_changes)
            continue
        touched = []
        for c in item_changes:
            # already at the value asked for (a plan undone or applied twice): nothing to
            # do, and no edit of the user's to report
            if _holds(item, c.field, *((c.old_set, c.old) if undo else (True, c.new))):
                already += 1
                continue
            if not _holds(item, c.field, *((True, c.new) if undo else (c.old_set, c.old))):
                log(f"{displayable_path(item.path)}: {c.field} changed since the plan; "
                    "left alone")
                left += 1
                continue
            touched.append(c)
        if not touched:
            continue
        done += len(touched)
        log(f"{displayable_path(item.path)}: {counted(len(touched), 'field')} "
            f"{'to put back' if undo else 'to set'}" if pretend else
            f"{displayable_path(item.path)}: {counted(len(touched), 'field')} "
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
    log(f"{'undo' if undo else 'apply'}: {counted(done, 'field')} "
        f"{'to change' if pretend else 'changed'}"
        + (f", {already} already so" if already else "") + f", {left} left alone")
    return done, left


def _holds(item: Any, field: str, is_set: bool, value: Any) -> bool:
    """Whether ``item`` has ``field`` set to ``value`` (``is_set``), or unset (not)."""
    present = field in item
    return present == is_set and (not present or same(item.get(field), value))
