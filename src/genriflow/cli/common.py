"""What every command shares: the consoles, the common options, errors and the error policy.

The consoles read no markup and no emoji codes: paths, tag values, model names and
reasons are printed as they are (``02 Outro [bold].mp3``, ``genriflow[ray]``), but for what
would control the terminal (an escape sequence in a file's name), written visibly
(:func:`genriflow.progress.shown`). A coloured
label or figure beside them is a :class:`rich.text.Text` (:func:`genriflow.progress.styled`,
:func:`~genriflow.progress.labelled`); tables go through :func:`~genriflow.progress.print_table`.

The policy, in one place (:class:`GenriflowGroup`): a :class:`~genriflow.errors.GenriflowError`
(a bad file, dataset, model folder or option) is one red line and exit status 2; Ctrl-C is
status 130, SIGTERM (a scheduler's stop, ``kill``) the same way with status 143; a reader
of standard output that leaves (``| head``) ends it quietly with status 141 (standard
output that cannot be written otherwise, a full disk, is a :class:`OutputError`); anything
else is a bug in genriflow: one line saying so, the traceback in a log
file whose path is printed, exit status 70 (``EX_SOFTWARE``).
"""

from __future__ import annotations

import codecs
import contextlib
import errno
import os
import re
import signal
import sys
import threading
import traceback
import warnings
from collections.abc import Callable
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console

# what typer raises for a command line it cannot parse (typer ships its own click)
from typer._click.exceptions import NoArgsIsHelpError, NoSuchOption, UsageError
from typer._click.globals import get_current_context
from typer.core import TyperCommand, TyperGroup

from genriflow.audio.errors import AudioError
from genriflow.datasets import SPLIT_METHODS
from genriflow.errors import ConfigError, GenriflowError, GenriflowWarning
from genriflow.features.options import RunOptions, default_options
from genriflow.features.sampling import FIRST_EXCERPTS, MOST_EXCERPTS, Sampling
from genriflow.intervals import counted_text, figure_text
from genriflow.progress import CurrentStderr, Shown, counted
from genriflow.progress import labelled as labelled
from genriflow.progress import print_hanging as print_hanging
from genriflow.progress import print_table as print_table
from genriflow.progress import styled as styled


class OutputError(GenriflowError):
    """Standard output could not be written (a full disk, a quota): one line, status 2, as
    the library index's full disk; not a bug in genriflow. ``reason``: the system's."""

    def __init__(self, exc: OSError) -> None:
        full = exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
        super().__init__(f"standard output could not be written ({exc.strerror or exc})"
                         + ("; free some space and run this again" if full else ""))


class _Written:
    """A text file whose failed writes (but a reader leaving: a broken pipe, which rich
    and :class:`GenriflowGroup` handle) raise :class:`OutputError`."""

    def __init__(self, file) -> None:
        self._file = file

    def write(self, text: str) -> int:
        return self._checked(self._file.write, text)

    def flush(self) -> None:
        self._checked(self._file.flush)

    def _checked(self, call, *args):
        try:
            return call(*args)
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise OutputError(exc) from exc

    def __getattr__(self, name: str):
        return getattr(self._file, name)


class _Output(Shown):
    """Standard output's console: a reader that leaves (``| head``) ends the command quietly
    with status 141, as a shell reports a writer stopped by SIGPIPE; rich's own choice, 1,
    is the status that says some files could not be used. A write that fails otherwise (a
    full disk under ``> genres.csv``) is an :class:`OutputError`, whether rich or
    genriflow's own CSV and JSON writers make it."""

    @property
    def file(self):
        return _Written(Console.file.fget(self))

    @file.setter
    def file(self, new_file) -> None:
        Console.file.fset(self, new_file)

    def on_broken_pipe(self) -> None:
        self.quiet = True
        devnull = os.open(os.devnull, os.O_WRONLY)  # nothing more reaches the closed pipe
        os.dup2(devnull, sys.stdout.fileno())
        raise SystemExit(EXIT_BROKEN_PIPE)


console = _Output(soft_wrap=True, markup=False, emoji=False)
# Messages reach standard error through sys.stderr as it is: above a live progress bar.
err_console = Shown(file=CurrentStderr(), soft_wrap=True, markup=False, emoji=False)

EXIT_USER_ERROR = 2
EXIT_INTERNAL_ERROR = 70
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 128 + signal.SIGTERM
EXIT_BROKEN_PIPE = 128 + signal.SIGPIPE

Jobs = Annotated[int | None, typer.Option("--jobs", "-j", help="Worker processes "
                                          "(default: all cores).")]
StoreDir = Annotated[Path | None, typer.Option("--store", help="Feature store folder (default: "
                                               "$GENRIFLOW_STORE, else $XDG_CACHE_HOME/genriflow, "
                                               "else ~/.cache/genriflow).")]
NoStore = Annotated[bool, typer.Option("--no-store", help="Compute every feature afresh and "
                                       "keep none.")]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")]
Engine = Annotated[str, typer.Option(help="Where songs are computed: local (worker processes "
                                     "on this machine) or ray (Ray tasks on a cluster; "
                                     "pip install genriflow[ray]). Same results.")]
Address = Annotated[str | None, typer.Option(help="With --engine ray: the cluster, auto or "
                                             "ray://HOST:PORT (default: start Ray on this "
                                             "machine).")]
Device = Annotated[str, typer.Option(help="Where the networks run (the pretrained musicnn "
                                     "analysis, and a network model's): auto (CUDA where "
                                     "usable, else the CPU), cpu or cuda. Same results "
                                     "within float rounding.")]
#: ``--split``'s help, the same in every command that splits.
SPLIT_HELP = (f"One of: {', '.join(SPLIT_METHODS)}. The -grouped ones keep each group in one "
              "part: a manifest's group column, else, where every file is GTZAN-named "
              "(blues.00012.wav), blocks of 10 consecutive clip numbers within a genre (an "
              "artist proxy); any other data needs a manifest with a group column.")
Excerpts = Annotated[int | None, typer.Option(
    help=f"3 s excerpts analysed per song, spread evenly over it (default: "
    f"{FIRST_EXCERPTS}, and {FIRST_EXCERPTS} more at a time up to {MOST_EXCERPTS} while "
    "the model's top genre does not clearly lead; a number fixes the count: more "
    "follows the whole song closer, and takes longer). A model on 30 s clips takes the "
    "song's central clip.")]
Full = Annotated[bool, typer.Option("--full", help="Analyse whole songs: every 3 s "
                                    "excerpt, or 30 s clips tiling the song.")]
FilesFrom = Annotated[str | None, typer.Option(
    "--files-from", metavar="FILE", show_default=False,
    help="Also the songs (or folders) FILE lists, one path a line, after any PATH: for "
         "more songs than a command line holds (find ~/Music -name '*.mp3' > songs.txt). "
         "- reads the list from standard input. Relative paths are from the current "
         "folder; blank lines are passed over, and spaces in a name kept.")]
NullNames = Annotated[bool, typer.Option(
    "--null", "-0", help="--files-from's names end with a NUL byte, as find -print0 "
                         "writes them, not a line: any name, one with a newline too.")]


def log_dir() -> Path:
    """``$GENRIFLOW_LOG_DIR``, else the platform's log folder for genriflow."""
    if os.environ.get("GENRIFLOW_LOG_DIR"):  # empty: unset (Path("") is the current folder)
        return Path(os.environ["GENRIFLOW_LOG_DIR"]).expanduser()  # ~: home, as the store
    import platformdirs

    return Path(platformdirs.user_log_dir("genriflow", appauthor=False))


def write_crash_log(exc: BaseException) -> Path:
    """Write the traceback of an unexpected exception to a new log file; return its path."""
    folder = log_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"crash-{datetime.now():%Y%m%d-%H%M%S}-{os.getpid()}.log"
    path.write_text("".join(traceback.format_exception(exc)))
    return path


class GenriflowGroup(TyperGroup):
    """The command group, with the error policy of the whole command line."""

    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:
        # An empty argument is most often an unset shell variable (`predict "$SONG"`), and
        # as a path it would mean the current folder: every song below it analysed.
        if ctx.parent is None and "" in args:
            _fail(f'argument {args.index("") + 1} is empty (""), as an unset shell variable '
                  "gives; give a path or a value (the current folder is .)", EXIT_USER_ERROR)
        if ctx.parent is None:
            ctx.meta[_ARGS] = list(args)  # the files among them, for usage_line
        if ctx.parent is None and sys.stdout is None:  # `>&-`: every result lost, status 0
            _fail("standard output is closed (>&-), so the results could not be written; "
                  "send them to a file, or to /dev/null", EXIT_USER_ERROR)
        try:
            with _writing_stdout():  # --help and --version write here
                return super().parse_args(ctx, args)
        except NoArgsIsHelpError:
            raise
        except UsageError as exc:
            _fail(usage_line(exc), EXIT_USER_ERROR)
        except OutputError as exc:
            _output_failed(exc)
        except BrokenPipeError:  # `--help | head -1`: quietly, 141, as a command's output
            console.on_broken_pipe()

    def resolve_command(self, ctx: typer.Context, args: list[str]):
        name, command, rest = super().resolve_command(ctx, args)
        ctx.meta[_COMMAND] = command  # the innermost so far: its options name bad values
        return name, command, rest

    def invoke(self, ctx: typer.Context):
        warnings.showwarning = show_warning
        _SHOWN.clear()  # a new command (several run in one process under a test runner)
        # A file name that is not UTF-8 is written as its bytes, as `ls` writes it, in any
        # locale (stdout is strict but in the C locale; stderr always escapes them), and
        # one the locale cannot encode (Café under LANG=en_US.ISO-8859-1 or
        # PYTHONIOENCODING=ascii) escaped, as stderr writes it: it was a crash (status 70).
        with contextlib.suppress(AttributeError, ValueError):
            sys.stdout.reconfigure(errors=UNENCODABLE)
        try:
            with _sigterm_as_interrupt(), _writing_stdout():
                return super().invoke(ctx)
        except NoArgsIsHelpError:  # a bare group (`genriflow library`): its help
            raise
        except OutputError as exc:
            _output_failed(exc)
        except UsageError as exc:  # an unknown command or option, a value of the wrong type
            _fail(usage_line(exc), EXIT_USER_ERROR)
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise
        except GenriflowError as exc:
            _fail(_text(partial(as_given, exc, ctx.meta.get(_COMMAND))), EXIT_USER_ERROR)
        except Terminated:
            _fail("", EXIT_TERMINATED, label="terminated")
        except KeyboardInterrupt:
            _fail("", EXIT_INTERRUPTED, label="interrupted")
        except BrokenPipeError:  # a table written past rich, to a reader that left
            console.on_broken_pipe()
        except Exception as exc:
            if _interrupted(exc):  # Ctrl-C inside a C extension's import or callback
                _fail("", EXIT_INTERRUPTED, label="interrupted")
            if isinstance(exc, FileNotFoundError) and _current_folder_gone():
                _fail("the current folder no longer exists (deleted or moved while this "
                      "shell was in it); cd into a folder that exists and run it again",
                      EXIT_USER_ERROR)
            try:
                where = f"The traceback is in {write_crash_log(exc)}"
            except Exception as why:  # an unwritable log folder: still one line
                where = f"Its traceback could not be logged ({_text(why.__str__)})"
            _fail(f"internal error (a bug in genriflow): {type(exc).__name__}: "
                  f"{_text(exc.__str__)}. {where}", EXIT_INTERNAL_ERROR, label="bug")


_COMMAND = "genriflow.command"
_ARGS = "genriflow.args"


@contextlib.contextmanager
def _writing_stdout():
    """Meanwhile, a write to ``sys.stdout`` that fails is an :class:`OutputError` too
    (``--help``, ``--version`` and ``library export`` write there, past the console); what
    is left in its buffer is written before the command ends, not at the interpreter's
    exit (where a failure was a traceback and status 120)."""
    stream = sys.stdout
    if stream is None or isinstance(stream, _Written):
        yield
        return
    sys.stdout = _Written(stream)
    try:
        try:
            yield
        finally:
            sys.stdout.flush()
    finally:
        sys.stdout = stream


def _output_failed(error: OutputError) -> NoReturn:
    """The error's one line, status 2; what standard output still holds is dropped (the
    interpreter's last flush would fail again)."""
    with contextlib.suppress(Exception):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    _fail(_text(error.__str__), EXIT_USER_ERROR)


def _unencodable(error: UnicodeError) -> tuple[str | bytes, int]:
    """The error handler :data:`UNENCODABLE`: a file name's byte that is not UTF-8 (a lone
    surrogate from ``surrogateescape``) as that byte, any other character the encoding
    lacks as Python writes it (``\\xe9``, ``\\u2013``), one at a time."""
    if not isinstance(error, UnicodeEncodeError):
        raise error
    char = error.object[error.start]
    if "\udc80" <= char <= "\udcff":
        return bytes([ord(char) - 0xDC00]), error.start + 1
    return ascii(char)[1:-1], error.start + 1


#: Standard output's error handler (:func:`_unencodable`), registered with :mod:`codecs`.
UNENCODABLE = "genriflow.unencodable"
codecs.register_error(UNENCODABLE, _unencodable)


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where Ctrl-C's KeyboardInterrupt would be: every clean-up that
    follows Ctrl-C follows it (the store's committed parts kept, the workers stopped)."""


@contextlib.contextmanager
def _sigterm_as_interrupt():
    """SIGTERM ends a command as Ctrl-C does, not by the signal's default: that ended the
    process at once, and a feature worker sending its result to it stayed blocked for
    good, an orphan holding its memory."""
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may set a signal handler
        return

    def stop(signum, frame):
        raise Terminated

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _interrupted(exc: BaseException) -> bool:
    """Whether a KeyboardInterrupt caused ``exc`` (``ImportError: initialization failed``
    when Ctrl-C comes while a C extension initialises)."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, KeyboardInterrupt):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False


def _current_folder_gone() -> bool:
    """Whether the current folder was deleted (``os.getcwd`` fails: every path, even an
    absolute one, that is resolved against it fails with FileNotFoundError)."""
    try:
        os.getcwd()
    except FileNotFoundError:
        return True
    return False


def usage_line(error: UsageError) -> str:
    """A command line typer cannot parse, as one line: what is wrong, then where the
    command's options are listed (instead of click's usage block and hint)."""
    where = f"; see `{error.ctx.command_path} --help`" if error.ctx is not None else ""
    return f"{error.format_message().rstrip('.')}{_a_file(error)}{where}"


def _a_file(error: UsageError) -> str:
    """Where an unknown option is a file's name (``-song.mp3``, read as ``-s``), how to
    give it as one."""
    if not isinstance(error, NoSuchOption) or error.ctx is None:
        return ""
    for arg in error.ctx.meta.get(_ARGS, ()):
        if arg.startswith(error.option_name) and os.path.lexists(arg):
            return f" (a file? write ./{arg}, or -- before it)"
    return ""


def as_given(error: GenriflowError, command: TyperCommand | None) -> str:
    """``error`` with the fields it names in backticks (a :class:`ConfigError`'s own and
    any in its reason) spelt as ``command`` takes them: the option (``--jobs`` for
    ``n_jobs``: a command's parameter carries the API's name) or the argument (``PATH``).
    A field the command has no parameter for keeps the API's name; an error that does not
    name fields (:attr:`~genriflow.errors.GenriflowError.names_fields`) is left as it is."""
    text = str(error)
    if not error.names_fields:
        return text
    spelt = {}
    for param in getattr(command, "params", ()):
        spelt[param.name] = (max(param.opts, key=len) if param.param_type_name == "option"
                             else param.metavar or param.name.upper())
    for api, parameter in _CALLED_OTHERWISE.items():
        if parameter in spelt:
            spelt.setdefault(api, spelt[parameter])
    return _FIELD.sub(lambda m: f"`{spelt.get(m[1], m[1])}`", text)


#: A field named in an error's message: an identifier alone in backticks.
_FIELD = re.compile(r"`([A-Za-z_][A-Za-z0-9_]*)`")
#: API fields a command's parameter names otherwise (``--from-playlist`` is given once
#: for each playlist; the API takes ``from_playlists``, a list).
_CALLED_OTHERWISE = {"from_playlists": "from_playlist"}


def show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """A warning as one yellow line on stderr (worker processes forked later inherit it):
    genriflow's own (:class:`~genriflow.errors.GenriflowWarning`, a file's
    :class:`~genriflow.audio.errors.AudioWarning`) as it is worded, another library's with
    its name and kind instead of its source line."""
    text = " ".join(str(message).split())
    if not issubclass(category, GenriflowWarning):
        text = f"{text} ({_package(filename)} {category.__name__})"
    # Python's once-per-place memory is wiped whenever a filter changes (every
    # catch_warnings does), so a run would repeat itself: each line is said once.
    if text in _SHOWN:
        return
    _SHOWN.add(text)
    err_console.print(labelled("warning", text), highlight=False, soft_wrap=True)


_SHOWN: set[str] = set()


def _package(filename: str) -> str:
    """The top package a source file belongs to (``sklearn`` for
    ``.../site-packages/sklearn/model_selection/_split.py``), else the file's name."""
    parts = Path(filename).parts
    for marker in ("site-packages", "dist-packages"):
        if marker in parts and parts.index(marker) + 1 < len(parts):
            return Path(parts[parts.index(marker) + 1]).stem
    return Path(filename).name


def _text(message: Callable[[], str]) -> str:
    """``message()`` (an exception's text), or what can be said of it when that fails."""
    try:
        return message()
    except Exception as exc:  # the error printer must never raise
        return f"(its message could not be made: {type(exc).__name__})"


def _fail(message: str, status: int, label: str = "error") -> NoReturn:
    """One red line on stderr, then exit with ``status``; this never raises anything else."""
    try:
        err_console.print(labelled(label, message, "red") if message else
                          styled((label, "red")), highlight=False, soft_wrap=True)
    except Exception:  # a closed or odd stderr: the plain line, if anything
        with contextlib.suppress(Exception):
            sys.stderr.write(f"{label}: {message}\n" if message else f"{label}\n")
    raise typer.Exit(status) from None


def run_options(store: Path | None, no_store: bool, n_jobs: int | None, quiet: bool,
                engine: str = "local", address: str | None = None,
                device: str = "auto") -> RunOptions:
    """The shared options as the library takes them (:func:`~genriflow.features.options.
    default_options` with the command's flags)."""
    return default_options(store, keep=not no_store, n_jobs=n_jobs, progress=not quiet,
                           engine=engine, address=address, device=device)


def sampling_options(excerpts: int | None, full: bool) -> dict:
    """``--excerpts`` and ``--full`` as the library takes them, checked before any model
    loads (one or the other)."""
    Sampling.of(excerpts, full=full)
    return {"excerpts": excerpts, "full": full}


def listed_songs(files_from: str | None, *, null: bool, given: list[Path] | None
                 ) -> list[Path]:
    """The songs ``--files-from`` lists (``-``: standard input), read by
    :func:`genriflow.read_file_list`; none without it. ``given``: the command's PATHs,
    which may be left out only with ``--files-from``."""
    if not given and files_from is None:
        raise UsageError("Missing argument 'PATH' (songs or folders), or --files-from FILE",
                         ctx=get_current_context(silent=True))
    if files_from is None:
        if null:
            raise ConfigError("null", "reads the list `files_from` names; give "
                              "--files-from FILE too")
        return []
    from genriflow.datasets.discover import read_file_list

    return read_file_list(sys.stdin.buffer if files_from == "-" else files_from, null=null)


def split_list(value: str) -> list[str]:
    """``'a, b,,c'`` -> ``['a', 'b', 'c']``: the comma-separated options."""
    return [item.strip() for item in value.split(",") if item.strip()]


def stamp() -> str:
    """The time, for default run folder names."""
    return datetime.now().strftime("%Y%m%d-%H%M%S")


def print_result(metrics: dict, out: Path) -> None:
    """The one-line summary of a training or evaluation run, with its split."""
    test = metrics["test"]
    std = f" ± {test['accuracy_std']:.3f}" if "accuracy_std" in test else ""
    chosen = f"model: {metrics['chosen']}, " if "chosen" in metrics else ""
    interval = f"{counted_text(test)}; " if "interval" in test else ""
    balanced = f"balanced {test['balanced_accuracy']:.3f}"
    if "balanced_accuracy_interval" in test:
        low, high = test["balanced_accuracy_interval"]
        balanced += f", {low:.3f}-{high:.3f}"
    console.print(styled(f"{chosen}accuracy ", (f"{test['accuracy']:.3f}{std}", "bold"),
                         f" ({interval}{balanced}) on {test['part']}"), highlight=False)
    if "tracks" in test:  # segments of tracks (a 3-second table): the tracks' own figure
        tracks = test["tracks"]
        low, high = tracks["balanced_accuracy_interval"]
        console.print(f"by track, the {tracks['by']}: accuracy {tracks['accuracy']:.3f} "
                      f"({counted_text(tracks)}; balanced {tracks['balanced_accuracy']:.3f}, "
                      f"{low:.3f}-{high:.3f})", highlight=False)
    if metrics["split"].get("groups"):  # derived, not the data's own: say which
        console.print(f"groups kept in one part: {metrics['split']['groups']}")
    calibration = metrics.get("test_calibration")
    if calibration and "as shipped" in calibration:
        shipped = calibration["as shipped"]
        console.print(f"probabilities ({calibration['method']}): expected calibration error "
                      f"{figure_text(shipped, 'ece')}, NLL {figure_text(shipped, 'nll')}, "
                      f"Brier {figure_text(shipped, 'brier')} on the same part")
    elif calibration:
        before, after = calibration["before"], calibration["after"]
        console.print(f"calibration ({calibration['method']}, fitted on valid): expected "
                      f"calibration error {figure_text(before, 'ece')} -> "
                      f"{figure_text(after, 'ece')}, NLL {figure_text(before, 'nll')} -> "
                      f"{figure_text(after, 'nll')} on the same part (95 % bootstrap "
                      "intervals)")
    multi = metrics.get("test_multilabel")
    if multi:
        found = multi["at_thresholds"]["all_genres_found"]
        console.print(styled("all of a song's genres found: ",
                             (f"{found['accuracy']:.3f}", "bold"),
                             f" ({found['correct']}/{found['n']}, 95 % Wilson "
                             f"{found['interval'][0]:.3f}-{found['interval'][1]:.3f}), mAP "
                             f"{multi['at_thresholds']['mAP']:.3f} at thresholds "
                             f"{metrics['multi_label']['thresholds_from']}"))
    if metrics["split"].get("seen_by_the_model"):
        console.print(styled((f"warning: {metrics['split']['seen_by_the_model']} of these "
                              f"{test.get('n', 'items')} are among the clips the model "
                              "was fitted or chosen on; this is no test on unseen data",
                              "yellow")))
    if metrics["split"].get("groups_crossing"):
        console.print(styled((f"warning: {metrics['split']['groups_crossing']} groups cross "
                              "splits; this figure is inflated by leakage", "yellow")))
    console.print(f"report: {out / 'report.html'}")


def exit_if_failed(errors: list[AudioError]) -> None:
    """End a command that went on past files it could not use with exit status 1 (the
    status says whether anything failed; the list was printed by :func:`print_errors`)."""
    if errors:
        raise typer.Exit(1)


def print_errors(errors: list[AudioError]) -> None:
    """The files a batch could not use, one line each, on stderr."""
    if errors:
        err_console.print(styled((f"{counted(len(errors), 'file')} could not be used:", "yellow")))
    for err in errors:
        err_console.print(f"  {err}", highlight=False, soft_wrap=True)  # its name readable
