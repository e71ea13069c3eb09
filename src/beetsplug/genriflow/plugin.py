"""The plugin class: beets' entry points (the command, the import stage) and the
analysis of items into fields, over genriflow's public API."""

from __future__ import annotations

import os
import shlex
import signal
import sys
import threading
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import confuse
from beets import config as beets_config
from beets import ui
from beets.dbcore import types
from beets.plugins import BeetsPlugin
from beets.util import displayable_path

from beetsplug.genriflow.categories import (
    Category,
    categorise,
    category_folder,
    check_together,
    learn,
    prepare,
)
from beetsplug.genriflow.fields import (
    CANONICAL,
    FLOAT_FIELDS,
    counted,
    field_name,
    has_genres_list,
    same,
    song_fields,
    summarise,
)
from beetsplug.genriflow.plans import (
    Change,
    check_plan_path,
    mark_applied,
    read_plan,
    restore,
    write_plan,
)

if TYPE_CHECKING:
    import optparse
    from collections.abc import Callable, Iterator, Sequence

    from beets.importer import ImportSession, ImportTask
    from beets.library import Item, Library


#: Items analysed, then stored, together: an interruption loses at most the batch under
#: way. Raised to two songs a worker, so that a batch keeps every worker busy.
BATCH = 16


@dataclass
class Run:
    """What one run of :meth:`GenriflowPlugin.analyse` applies to each batch: the loaded
    genre model (``None``: no item needs it) and its identity, the ids of the items it
    analyses, the categories, genriflow's options and the items by their path."""

    model: Any
    identity: str
    todo: set[int]
    categories: list[Category]
    options: Any
    by_path: dict[str, Item]


def flush(held: list[Callable[[], None]]) -> None:
    """Say what was held back (lines, log lines), in order, and forget it."""
    while held:
        held.pop(0)()


@contextmanager
def interrupts_held() -> Iterator[None]:
    """Ctrl-C while the block runs raised when it ends: storing a batch takes
    milliseconds, and beets commits what a store interrupted halfway had written (an item
    with some of its fields). Only where Python's own handler is in place, in the main
    thread (not in beets' import pipeline)."""
    if (threading.current_thread() is not threading.main_thread()
            or signal.getsignal(signal.SIGINT) is not signal.default_int_handler):
        yield
        return
    caught: list[int] = []
    signal.signal(signal.SIGINT, lambda number, frame: caught.append(number))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    if caught:
        raise KeyboardInterrupt


def refuse_ignored_options(opts: optparse.Values, args: Sequence[str]) -> None:
    """A :class:`~beets.ui.UserError` for options the chosen action would silently ignore
    (``--undo A --apply B`` would only undo; ``--undo A --plan B`` records nothing;
    ``--learn`` with ``--pretend`` learns anyway)."""
    actions = [name for name, given in (("--undo", opts.undo), ("--apply", opts.apply),
                                        ("--learn", opts.learn)) if given]
    if len(actions) > 1:
        raise ui.UserError(f"{actions[0]} and {actions[1]} do not go together")
    if not actions:
        return
    ignored = [name for name, given in (
        ("--plan", opts.plan), ("--category", opts.category), ("--model", opts.model),
        ("--force", opts.force is not None),
        ("--pretend", opts.pretend and actions[0] == "--learn"),
        ("a QUERY (the plan names its items)", args and actions[0] != "--learn")) if given]
    if ignored:
        raise ui.UserError(f"{actions[0]} does not take {', '.join(ignored)}")


class GenriflowPlugin(BeetsPlugin):
    """``beet genriflow``: genriflow's analysis of beets items, an import stage and undo."""

    item_types = {**{name: types.Float(6) for name in FLOAT_FIELDS},
                  "genriflow_unknown": types.BOOLEAN}

    def __init__(self) -> None:
        super().__init__("genriflow")  # its config section, whatever the module
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
        # The categories' confidences are numbers too (range queries): the configured
        # ones and every one learnt, which `--category NAME` may apply. A mistyped
        # `categories` must not stop the plugin loading (every beet command would show a
        # traceback and lose `genriflow`): `beet genriflow` reports it, in beets' words.
        try:
            configured = self.config["categories"].as_str_seq()
        except confuse.ConfigError:
            configured = []
        self.item_types = {**self.item_types, **{
            field_name(name) + "_confidence": types.Float(6)
            for name in {*configured, *self.learnt()}}}

    # --- beets entry points -------------------------------------------------------------

    def commands(self) -> list[ui.Subcommand]:
        cmd = ui.Subcommand("genriflow", help="genres, moods and voice from the audio "
                                              "(genriflow, offline)")
        cmd.parser.usage = "%prog [options] [QUERY]"
        add = cmd.parser.add_option
        add("-p", "--pretend", action="store_true", default=False,
            help="show the changes, change nothing")
        # each default is the configuration's, named with its value now
        force = "yes" if self.config["force"].get(bool) else "no"
        add("-f", "--force", action="store_true", default=None,
            help=f"analyse again items this model already analysed (default: the "
                 f"config's force, now {force})")
        add("-w", "--write", action="store_true", dest="write", default=None,
            help="write beets' genre into the files (with write_genre: yes; default: "
                 "beets' import.write)")
        add("-W", "--no-write", action="store_false", dest="write",
            help="change the library only, never the files")
        model = self.config["model"].as_str()
        add("-m", "--model", help=f"a built-in model name or a model folder (default: the "
                                  f"config's model, now {model})")
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

        refuse_ignored_options(opts, args)
        write = ui.should_write(opts.write)
        if opts.plan:
            check_plan_path(opts.plan)
        try:
            if opts.undo or opts.apply:
                changes = read_plan(opts.undo or opts.apply)
                done, _ = restore(lib, changes, undo=bool(opts.undo), write=write,
                                  pretend=opts.pretend, log=ui.print_)
                if opts.apply and done and not opts.pretend and (
                        why := mark_applied(opts.apply)):
                    self._log.warning("cannot record in {} that it was applied ({}); keep "
                                      "it: it is the undo of this --apply", opts.apply, why)
                return
            if opts.learn and bool(opts.from_field) == bool(opts.from_playlist):
                raise ui.UserError("--learn needs --from-field FIELD or --from-playlist "
                                   "FILE (one per category), not both")
            if not opts.learn and (opts.from_field or opts.from_playlist):
                raise ui.UserError("--from-field and --from-playlist go with --learn NAME")
            items = list(lib.items(args))
            if not items:  # said, where beets' own commands are silent; still status 0
                ui.print_(f"no items match {shlex.join(args)}" if args
                          else "no items in the library")
                return
            if opts.learn:
                learn(self, items, opts.learn, field=opts.from_field,
                      playlists=opts.from_playlist, query=shlex.join(args),
                      progress=sys.stderr.isatty())
                return
            if opts.force is not None:
                self.config["force"].set(opts.force)
            if opts.model:
                self.config["model"].set(opts.model)
            # the bar on a terminal only; never in the import stage, whose prompts share
            # the terminal with the analysis running in another thread
            changes: list[Change] = []
            try:
                self.analyse(items, write=write, pretend=opts.pretend,
                             categories=opts.category or self.config["categories"].as_str_seq(),
                             progress=sys.stderr.isatty(),
                             categories_asked=bool(opts.category), into=changes)
            except BaseException:
                # stopped (Ctrl-C, an error) after some items were stored: the plan of
                # those is their undo
                if opts.plan and changes and not opts.pretend:
                    write_plan(opts.plan, changes)
                    ui.print_(f"plan: {len(changes)} changes recorded in {opts.plan}")
                raise
        except genriflow.GenriflowError as err:
            raise ui.UserError(str(err)) from err
        if opts.plan:
            write_plan(opts.plan, changes, pretend=opts.pretend)
            ui.print_(f"plan: {len(changes)} changes recorded in {opts.plan}")

    def imported(self, session: ImportSession, task: ImportTask) -> None:
        """The import stage (``auto: yes``): analyse the items just imported."""
        import genriflow

        try:
            self.analyse(list(task.imported_items()), write=False, pretend=False,
                         categories=self.config["categories"].as_str_seq())
        except (genriflow.GenriflowError, ui.UserError) as err:
            # logged, as beets' import stages do: the import itself goes on
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

    def options(self, *, progress: bool = False) -> Any:
        """genriflow's :class:`~genriflow.RunOptions`: the configured store and workers;
        ``progress``: genriflow's progress bar on standard error."""
        import genriflow

        store = self.config["store"].as_str() or genriflow.default_store_dir()
        jobs = self.count("jobs", "every core") or None
        return genriflow.RunOptions(store=Path(os.path.expanduser(str(store))), n_jobs=jobs,
                                    progress=progress)

    def sampling(self) -> dict[str, Any]:
        """``excerpts`` and ``full`` as :func:`genriflow.analyse` takes them."""
        return {"excerpts": self.count("excerpts", "adaptive") or None,
                "full": self.config["full"].get(bool)}

    def count(self, key: str, zero: str) -> int:
        """The whole number setting ``key``, 0 (meaning ``zero``) or more; named as the
        user wrote it (``genriflow.jobs``), not as genriflow's API calls it (``n_jobs``)."""
        value = self.config[key].get(int)
        if value < 0:
            raise ui.UserError(f"genriflow.{key}: must be 0 ({zero}) or more; got {value}")
        return value

    def library_path(self) -> Path:
        """genriflow's index (for own categories): ``library``, else beside beets' config."""
        path = self.config["library"].as_str() or os.path.join(
            beets_config.config_dir(), "genriflow", "library.db")
        return Path(os.path.expanduser(path))

    def library(self) -> Any:
        """genriflow's index (:class:`genriflow.Library`) at :meth:`library_path`."""
        import genriflow

        path = self.library_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        return genriflow.Library(path)

    def learnt(self) -> list[str]:
        """The names of the category models learnt with ``--learn``: the folders with a
        ``config.json`` in ``models/`` beside the index (``Library.models_dir``; read
        without opening the index, as every beets command builds the plugin)."""
        try:
            return sorted(p.parent.name for p in
                          (self.library_path().parent / "models").glob("*/config.json"))
        except OSError:
            return []

    def analyse(self, items: Sequence[Item], *, write: bool, pretend: bool,
                categories: Sequence[str] = (), progress: bool = False,
                categories_asked: bool = False,
                into: list[Change] | None = None) -> list[Change]:
        """Analyse ``items`` (genre, moods, voice; each learnt category) and set their
        fields; returns every change. ``pretend``: print them only; ``progress``: a
        progress bar while the audio is analysed; ``categories_asked``: the run was asked
        for ``categories`` (``--category``), so the genre analysis says nothing when it
        has nothing to do.

        The items are analysed and stored a batch at a time (:data:`BATCH`), so an
        interruption (Ctrl-C) keeps every item stored so far: one line says how many, and
        the ``KeyboardInterrupt`` goes on to beets; a run again analyses only the rest.
        ``into``: the list the changes are added to as they are made (before each item is
        stored), so that it holds them also after an interruption."""
        import genriflow

        categories = check_together(categories)
        for name in categories:  # a mistyped name before the analysis, not after it
            category_folder(self, name)
        model = self.config["model"].as_str()
        sampling = self.sampling()
        identity = genriflow.model_identity(model, **sampling).identity
        force = self.config["force"].get(bool)
        todo = {i.id for i in items if force or i.get("genriflow_model") != identity}
        # with --category, items the genre model already analysed are no news: said only
        # when the genre analysis runs at all (for items it has not analysed yet)
        if len(todo) < len(items) and (todo or not categories_asked):
            ui.print_(f"{counted(len(items) - len(todo), 'item')} already analysed by {identity} "
                      "(--force analyses them again)")
        applied = [prepare(self, name, items) for name in categories]
        work = [i for i in items if i.id in todo or any(i.id in c.todo for c in applied)]
        run = Run(model=genriflow.load_model(model) if todo else None, identity=identity,
                  todo=todo, categories=applied, options=self.options(),
                  by_path={os.path.normpath(os.fsdecode(i.path)): i for i in items})
        changes: list[Change] = [] if into is None else into
        held: list[Callable[[], None]] = []  # said after the bar, not across it

        def say(line: str) -> None:
            if progress:
                held.append(partial(ui.print_, line))
            else:
                ui.print_(line)

        stored = 0
        size = max(BATCH, 2 * (run.options.n_jobs or os.cpu_count() or 1))
        try:
            with self.file_warnings(), self.bar(progress, identity, len(work)) as advance:
                for start in range(0, len(work), size):
                    batch = work[start:start + size]
                    new, errors = self.analyse_batch(batch, run)
                    for error in errors:
                        held.append(partial(self._log.warning, "{}", error))
                    with interrupts_held():  # each item stored whole, and counted
                        for item in batch:
                            if new[item.id]:
                                self.update(item, new[item.id], write=write,
                                            pretend=pretend, into=changes, say=say)
                                stored += 1
                        advance(len(batch))
                    if not progress:
                        flush(held)
        except KeyboardInterrupt:
            flush(held)
            ui.print_(f"interrupted: {counted(stored, 'item')} analysed, nothing stored "
                      "(--pretend)" if pretend else
                      f"interrupted: {counted(stored, 'item')} analysed and stored; run it "
                      f"again{' without --force' if force else ''} to analyse only the "
                      "rest")
            raise
        finally:
            flush(held)
        return changes

    def analyse_batch(self, batch: Sequence[Item],
                      run: Run) -> tuple[dict[int, dict[str, Any]], list[Any]]:
        """The new fields of each item of ``batch`` by ``run``'s genre model and
        categories, and the files that could not be analysed (genriflow's errors)."""
        import genriflow

        new: dict[int, dict[str, Any]] = {i.id: {} for i in batch}
        errors: list[Any] = []
        todo = [i for i in batch if i.id in run.todo]
        if todo:
            analysis = genriflow.analyse([os.fsdecode(i.path) for i in todo],
                                         model=run.model, tags=True, options=run.options,
                                         **self.sampling())
            errors += analysis.errors
            tags = {os.path.normpath(t.path): t for t in analysis.tags}
            for prediction in analysis.predictions:
                key = os.path.normpath(prediction.path)
                item = run.by_path[key]
                new[item.id] = song_fields(prediction, tags.get(key), run.identity)
                new[item.id].update(self.genre_of(item, prediction))
        for category in run.categories:
            errors += categorise(self, category, batch, run.by_path, new, run.options)
        return new, errors

    @contextmanager
    def bar(self, shown: bool, identity: str, total: int) -> Iterator[Callable[[int], None]]:
        """A progress bar of ``total`` items on standard error while ``shown`` (songs
        done, time left), across the run's batches; yields its ``advance(n)``."""
        if not (shown and total):
            yield lambda n: None
            return
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        with Progress(TextColumn("{task.description}", markup=False), BarColumn(),
                      MofNCompleteColumn(), TimeElapsedColumn(), TextColumn("ETA"),
                      TimeRemainingColumn(), console=Console(file=sys.stderr),
                      redirect_stdout=False, redirect_stderr=False) as bar:
            job = bar.add_task(f"genriflow [{identity}]", total=total)
            yield lambda n: bar.advance(job, n)

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

    def update(self, item: Item, fields: dict[str, Any], *, write: bool, pretend: bool,
               into: list[Change] | None = None,
               say: Callable[[str], None] = ui.print_) -> list[Change]:
        """Set ``fields`` on ``item`` (store; with ``write`` and a tag among them, write
        the file through beets); returns the changes made, also added to ``into`` before
        the item is stored (an interruption while storing leaves them recorded: undo puts
        back what was stored and counts the rest as already so). ``say``: prints the
        item's line."""
        changes = []
        for field, value in fields.items():
            old_set = field in item
            old = item.get(field) if old_set else None
            if old_set and same(old, value):
                continue
            changes.append(Change(item.id, displayable_path(item.path), field,
                                  list(old) if isinstance(old, list) else old, value,
                                  old_set))
        line = f"{displayable_path(item.path)}: {summarise(fields)}"
        if not changes:  # analysed again (--force) to the same values: said, not silent
            say(f"{line} (no change)")
            return []
        say(line)
        if into is not None:
            into.extend(changes)
        if pretend:
            return changes
        for change in changes:
            item[change.field] = change.new
        tag_changed = any(c.field in item._media_fields for c in changes)
        item.store()
        if write and tag_changed:
            item.try_write()
        return changes
