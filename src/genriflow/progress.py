"""What genriflow shows on a terminal: the progress bar of its long jobs (feature
extraction, library scans and classification) and its tables.

User data (paths, tag values, model names, reasons) is shown exactly as it is: nothing
here reads rich markup (``[bold]``, ``[/x]``) or emoji codes (``:fire:``) in it, so a song
named ``02 Outro [bold].mp3`` or a model folder ``/music/[FLAC]/models/mine`` keeps its
name and never breaks the display. Only the characters that would control the terminal
instead of being shown (an escape sequence in a file's name that colours, retitles or
clears it, a right-to-left override that shows ``gpj.exe`` as ``exe.jpg``) are written
visibly, as Python writes them (``\\x1b[31m``, ``\\u202e``): :func:`shown`.
"""

from __future__ import annotations

import contextlib
import errno
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextvars import ContextVar

from rich.cells import cell_len, chop_cells
from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Column, Table
from rich.text import Text

#: What a terminal would obey rather than show: the C0 controls but tab and line break
#: (and CR before one: a CSV's line ends), ESC starting colour, title, clear-screen and
#: cursor sequences; DEL, the C1 controls (0x9b is CSI on some terminals) and the
#: bidirectional overrides, embeddings and isolates (Trojan Source's reordering); the marks
#: (U+200E/F), which only place neutrals, are kept.
_CONTROLS = re.compile("\r(?!\n)|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def shown(text: str) -> str:
    """``text`` with every character that would control a terminal written visibly, as
    Python writes it (``\\x1b``, ``\\u202e``); the rest, any script and emoji included,
    as it is.

    >>> print(shown("\\x1b[31mred.ogg"), shown("\\u202egpj.exe"), shown("Café – Ñandú.ogg"))
    \\x1b[31mred.ogg \\u202egpj.exe Café – Ñandú.ogg
    """
    return _CONTROLS.sub(lambda m: ascii(m[0])[1:-1], text)


class Shown(Console):
    """A :class:`~rich.console.Console` that writes a string it is given through
    :func:`shown`: no file name printed by a command can colour or control the terminal.
    (Text built with :func:`styled`, :func:`labelled` and the tables is shown already.)"""

    def render_str(self, text: str, **kwargs) -> Text:
        return super().render_str(shown(text), **kwargs)


class _Description(TextColumn):
    """A task's description as it is (no markup), shown (:func:`shown`)."""

    def render(self, task: Task) -> Text:
        return Text(shown(task.description), style=self.style, justify=self.justify)


class _Rate(ProgressColumn):
    def __init__(self, unit: str) -> None:
        super().__init__()
        self.unit = unit

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("" if speed is None else f"{speed:.2f} {self.unit}/s")


class CurrentStderr:
    """``sys.stderr`` as it is at each write, for a :class:`~rich.console.Console`'s file.

    While a progress bar is drawn on a terminal, ``sys.stderr`` is rich's proxy, which
    prints each line above the bar; a ``Console(stderr=True)`` writes past the proxy, onto
    the bar's own line (``... ETA 0:01:07warning: cut.mp3: ...``).

    Where there is none (``2>&-``: Python's ``sys.stderr`` is None), what is written to
    it is dropped, as the messages of a command whose stderr is closed are; it was a
    crash while the command line was imported, before the command had begun.
    """

    def write(self, text: str) -> int:
        return len(text) if sys.stderr is None else sys.stderr.write(text)

    def flush(self) -> None:
        if sys.stderr is not None:
            sys.stderr.flush()

    def isatty(self) -> bool:
        return sys.stderr is not None and sys.stderr.isatty()

    def fileno(self) -> int:
        if sys.stderr is None:
            raise OSError(errno.EBADF, "standard error is closed")
        return sys.stderr.fileno()

    @property
    def encoding(self) -> str:
        return getattr(sys.stderr, "encoding", None) or "utf-8"


def bar_console() -> Console:
    """Where progress bars are drawn: standard error, so that standard output carries the
    results alone (``predict --format csv > songs.csv`` writes no bar into the file)."""
    return Shown(stderr=True)


def progress_bar(enabled: bool, unit: str = "songs") -> Progress:
    """A rich progress bar (``M/N``, ``unit``/s, elapsed, ETA) on standard error
    (:func:`bar_console`); silent unless ``enabled``.

    A task's description is shown as it is (never read as markup), so it may name any
    path or model: ``bar.add_task(f"classify [{name}]")``.

    >>> with progress_bar(False) as bar:
    ...     job = bar.add_task("classify [/music/models/mine]", total=2)
    ...     bar.advance(job, 2)
    """
    # The description (a model's folder, the feature sets) takes what the bar, the counts
    # and the times leave of the line, cut with an ellipsis: on 80 columns they still show.
    # A narrower terminal drops the rate and the time so far, then the bar, before the count
    # and the time left would be cut and the line wrapped (`1200/…`, `songs/s` below it).
    console = bar_console()
    description = Column(ratio=1, no_wrap=True, overflow="ellipsis")
    columns: list[ProgressColumn] = [
        _Description("{task.description}", markup=False, table_column=description)]
    if console.width >= 50:
        columns.append(BarColumn(bar_width=20 if console.width >= 80 else 10))
    columns.append(MofNCompleteColumn())
    if console.width >= 70:
        columns += [_Rate(unit), TimeElapsedColumn()]
    columns += [TextColumn("ETA"), TimeRemainingColumn()]
    return Progress(*columns, disable=not enabled, transient=False, console=console,
                    expand=True)


#: Called as each file of a feature extraction is done, while :func:`counting_files` holds.
_FILE_DONE: ContextVar[Callable[[], None] | None] = ContextVar("genriflow_file_done",
                                                               default=None)


@contextlib.contextmanager
def counting_files(advance: Callable[[], None]) -> Iterator[None]:
    """Meanwhile, each file a feature extraction finishes calls ``advance``: a job that
    extracts in batches (a library's classification) moves its own bar song by song, not
    batch by batch, the extraction's own bar being off.

    >>> done = []
    >>> with counting_files(lambda: done.append(1)):
    ...     file_done()
    >>> file_done(); len(done)
    1
    """
    token = _FILE_DONE.set(advance)
    try:
        yield
    finally:
        _FILE_DONE.reset(token)


def file_done() -> None:
    """One file of a feature extraction done: said to :func:`counting_files`'s caller."""
    if (advance := _FILE_DONE.get()) is not None:
        advance()


class Cell(str):
    """A table cell of items that are never broken: on a terminal it wraps between them only.

    It is the text of its items joined with ``sep`` (what goes through a pipe), so it
    compares, prints and joins as that text.

    >>> Cell(["msd:ambient 26%", "mtt:ambient 20%"]) == "msd:ambient 26%, mtt:ambient 20%"
    True
    """

    items: list[str]
    sep: str

    def __new__(cls, items: Iterable[str], sep: str = ", ") -> Cell:
        items = [str(item) for item in items]
        cell = super().__new__(cls, sep.join(items))
        cell.items, cell.sep = items, sep
        return cell

    def pieces(self) -> list[str]:
        """The unbreakable pieces, each with the separator that follows it."""
        return [item + self.sep for item in self.items[:-1]] + self.items[-1:]


#: The narrowest a row's name (the first column: a path, an album) is kept before it folds.
NAME_MIN_WIDTH = 16


class _Wrapped:
    """A cell's text, measured and wrapped by its pieces (:func:`_pieces`), so that rich
    sizes a column by its longest piece and never breaks one, unless ``fold`` lets it."""

    def __init__(self, cell: str | Cell, fold: bool = False) -> None:
        self.pieces = [shown(piece) for piece in _pieces(cell, fold)]
        self.fold = fold

    @property
    def minimum(self) -> int:
        longest = max((cell_len(p.rstrip()) for p in self.pieces), default=1)
        return min(longest, NAME_MIN_WIDTH) if self.fold else max(longest, 1)

    @property
    def maximum(self) -> int:
        return max(cell_len("".join(self.pieces).rstrip()), 1)

    def lines(self, width: int) -> list[str]:
        lines, line = [], ""
        for piece in self._fitting(width):
            if not line or cell_len((line + piece).rstrip()) <= width:
                line += piece
            else:
                lines.append(line.rstrip())
                line = piece
            if cell_len(line.rstrip()) > width:  # a piece wider than the cell: folded
                *whole, line = chop_cells(line, width)
                lines += whole
        return [*lines, line.rstrip()]

    def _fitting(self, width: int) -> Iterator[str]:
        """The pieces, each wider than ``width`` cut after its spaces (an item such as
        ``unknown (best guess: metal 29%)`` on a narrow terminal): only a word wider than
        the line is then folded, not the item at whatever character the line ends."""
        for piece in self.pieces:
            if cell_len(piece.rstrip()) <= width:
                yield piece
            else:
                yield from (p for p in re.split(r"(?<=\s)(?=\S)", piece) if p)

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement(self.minimum, self.maximum).with_maximum(options.max_width)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield Text("\n".join(self.lines(options.max_width)), justify=options.justify,
                   overflow="fold", no_wrap=True)


def _pieces(cell: str | Cell, fold: bool) -> list[str]:
    """A cell cut where it may break: between a Cell's items; after the spaces of text;
    also after each ``/`` of a name that may fold (a path breaks between its folders)."""
    if isinstance(cell, Cell):
        return cell.pieces()
    text = cell.expandtabs(4)
    return [p for p in re.split(r"(?<=[\s/])(?=[^\s/])" if fold else r"(?<=\s)(?=\S)",
                                text) if p]


def print_table(console: Console, header: Sequence[str],
                rows: Iterable[Sequence[str | Cell]], *, title: str | None = None,
                right: Iterable[str] = (), styles: Sequence[str | None] | None = None,
                fold: Iterable[str] = ()) -> None:
    """Print a table: every cell whole and as it is, on a terminal and through a pipe alike.

    On a terminal, a rich table as wide as its longest cells allow, each cell wrapped
    between its words (or a :class:`Cell`'s items), never inside one; only the first
    column (the row's name: a path, an album) folds inside a word, and only where a word
    of it is longer than :data:`NAME_MIN_WIDTH`. When even so the table is wider than the
    terminal, each row is printed as a record instead (:func:`print_records`): its name
    on a line, then one line per column. Anywhere else (a pipe, a file), its ``title`` on
    a line of its own, then the header and one line per row, tab-separated: no column is
    ever cut to fit 80 columns, and each row can be read back
    (``pandas.read_csv(..., sep="\\t", quoting=csv.QUOTE_NONE, skiprows=1)``: no quote
    is special, so a cell may start with ``"``). A tab, line break or backslash inside a
    cell is written ``\\t``, ``\\n``, ``\\r`` or ``\\\\`` (:func:`one_line`), so that each row
    stays one line and :func:`unescape` gives each cell back exactly.

    Parameters
    ----------
    console : rich.console.Console
    header : sequence of str
        The column names.
    rows : iterable of sequence of (str or Cell)
        One sequence of cells per row; nothing in them is read as markup.
    title : str or None
    right : iterable of str
        Columns aligned right on a terminal (numbers).
    styles : sequence of (str or None), or None
        Each row's style on a terminal (``"dim"``, ``"bold green"``).
    fold : iterable of str
        Other columns that may fold like the first (paths).

    Examples
    --------
    >>> import io
    >>> out = Console(file=io.StringIO())
    >>> print_table(out, ["file", "genre"], [["Album [Deluxe]/02 Outro [bold].mp3", "rock"]],
    ...             title="genres")
    >>> print(out.file.getvalue(), end="")
    genres
    file	genre
    Album [Deluxe]/02 Outro [bold].mp3	rock
    """
    rows = [list(row) for row in rows]
    if not console.is_terminal:
        lines = [] if title is None else [one_line(title)]  # one_line shows it
        lines += ["\t".join(one_line(str(cell)) for cell in row)
                  for row in [list(header), *rows]]
        console.file.write("\n".join(lines) + "\n")  # rich would expand the tabs
        console.file.flush()
        return
    folding = [j == 0 or name in set(fold) for j, name in enumerate(header)]
    widths = table_widths(console, header, rows, fold=fold)
    if widths is None:
        if title is not None:
            console.print(Text(shown(title)))
        print_records(console, [(str(row[0]), list(zip(header[1:], row[1:], strict=True)))
                                for row in rows], styles=styles)
        return
    right = set(right)
    table = Table(title=None if title is None else Text(shown(title)), title_justify="left")
    for column, width in zip(header, widths, strict=True):
        table.add_column(Text(shown(column)), justify="right" if column in right else "left",
                         width=width)
    for i, row in enumerate(rows):
        table.add_row(*(_Wrapped(cell, fold=folding[j]) for j, cell in enumerate(row)),
                      style=None if styles is None else styles[i])
    console.print(table)


def table_widths(console: Console, header: Sequence[str],
                 rows: Sequence[Sequence[str | Cell]], *, fold: Iterable[str] = ()
                 ) -> list[int] | None:
    """Each column's width in a table that fits ``console`` with no word broken (the first
    column and those in ``fold`` may fold, see :func:`print_table`); None when no such
    table fits.

    Each column is as wide as its longest cell when all fit; else each gets its longest
    word, then the columns that lack least get their longest cell, and the others share
    what is left alike.

    >>> import io
    >>> narrow = Console(file=io.StringIO(), width=25)
    >>> table_widths(narrow, ["file", "genre"], [["a.ogg", "classical 56%"]])
    [5, 13]
    >>> print(table_widths(narrow, ["file", "tags"], [["a.ogg", Cell(["msd:ambient 26%"] * 2)]]))
    None
    """
    columns = list(zip(header, *rows, strict=True))
    folding = [j == 0 or name in set(fold) for j, name in enumerate(header)]
    cells = [[_Wrapped(cell, fold=folding[j] and i > 0) for i, cell in enumerate(column)]
             for j, column in enumerate(columns)]
    minimum = [max(c.minimum for c in column) for column in cells]
    maximum = [max(c.maximum for c in column) for column in cells]
    room = console.width - 3 * len(header) - 1  # each column's padding and border
    if sum(minimum) > room:
        return None
    if sum(maximum) <= room:
        return maximum
    widths, spare = list(minimum), room - sum(minimum)
    lacking = {j: most - least for j, (least, most) in enumerate(zip(minimum, maximum,
                                                                      strict=True))}
    for j in sorted(lacking, key=lacking.get):  # the least lacking made whole first
        if lacking[j] <= spare:
            widths[j] += lacking.pop(j)
            spare -= widths[j] - minimum[j]
    for k, j in enumerate(sorted(lacking, key=lacking.get, reverse=True)):
        widths[j] += spare // len(lacking) + (k < spare % len(lacking))
    return widths


def print_records(console: Console, records: Sequence[tuple[str, Sequence[tuple[str, str | Cell]]]],
                  *, styles: Sequence[str | None] | None = None) -> None:
    """Print each record as its name on a line, then a ``label  value`` line per field
    (empty ones left out), each value wrapped between its words or items, as in a table:
    the layout of a table too wide for the terminal.

    >>> import io
    >>> out = Console(file=io.StringIO(), width=30, color_system=None)
    >>> print_records(out, [("a [b].ogg", [("genres", Cell(["classical 56%", "jazz 9%",
    ...                                                     "reggae 7%"]))])])
    >>> print(out.file.getvalue(), end="")
    a [b].ogg
      genres  classical 56%,
              jazz 9%, reggae 7%
    """
    labels = [label for _, fields in records for label, value in fields if value]
    label_width = max(map(cell_len, labels), default=0)
    for i, (name, fields) in enumerate(records):
        style = None if styles is None else styles[i]
        if i:
            console.print()
        for line in _Wrapped(name, fold=True).lines(console.width):
            console.print(Text(line, style=f"bold {style or ''}".strip()), soft_wrap=False)
        print_fields(console, fields, style=style, label_width=label_width)


def print_fields(console: Console, fields: Sequence[tuple[str, str | Cell]], *,
                 style: str | None = None, label_width: int | None = None) -> None:
    """Print ``  label  value`` lines, the values aligned and wrapped between their words
    (or a :class:`Cell`'s items) under one another; empty values are left out. The labels
    take ``label_width`` columns (default: the longest).

    >>> import io
    >>> out = Console(file=io.StringIO(), width=32, color_system=None)
    >>> print_fields(out, [("per genre", Cell(["blues 0.76", "classical 0.93", "disco 0.00"])),
    ...                    ("also", "")])
    >>> print(out.file.getvalue(), end="")
      per genre  blues 0.76,
                 classical 0.93,
                 disco 0.00
    """
    given = [(label, value) for label, value in fields if value]
    if label_width is None:
        label_width = max((cell_len(label) for label, _ in given), default=0)
    indent = 2 + label_width + 2
    for label, value in given:
        first, *rest = _Wrapped(value).lines(max(console.width - indent, 1))
        console.print(Text.assemble("  ", (shown(label), "bold"),
                                    " " * (indent - 2 - cell_len(label)), first,
                                    style=style or ""), soft_wrap=False)
        for line in rest:
            console.print(Text(" " * indent + line, style=style or ""), soft_wrap=False)


def print_hanging(console: Console, first: str | Text, text: str) -> None:
    """Print ``first`` then ``text`` on one line, ``text`` as it is (a path, a message).

    On a terminal, ``text`` wraps between its words and after the ``/`` of its paths, each
    following line under its start; when it does not fit the room ``first`` leaves and
    that room is under ``2 * NAME_MIN_WIDTH``, it starts on the next line, indented by 2.
    Anywhere else it is one line, however long.

    >>> import io
    >>> out = Console(file=io.StringIO(), width=40, force_terminal=True, color_system=None)
    >>> print_hanging(out, "jazz  45%  ", "/music/01 Intro.flac")
    >>> print_hanging(out, "jazz  45%  ", "/music/[Live] Album/01 Intro with a long name.flac")
    >>> print(out.file.getvalue(), end="")
    jazz  45%  /music/01 Intro.flac
    jazz  45%
      /music/[Live] Album/01 Intro with a
      long name.flac
    """
    first = Text(shown(first)) if isinstance(first, str) else first
    if not console.is_terminal:
        console.print(Text.assemble(first, shown(text)), soft_wrap=True)
        return
    room = console.width - first.cell_len
    indent = first.cell_len if room >= min(cell_len(text), 2 * NAME_MIN_WIDTH) else 2
    lines = _Wrapped(text, fold=True).lines(console.width - indent)
    if indent < first.cell_len:
        alone = first.copy()
        alone.rstrip()
        console.print(alone, soft_wrap=False)
    else:
        first, lines = Text.assemble(first, lines[0]), lines[1:]
        console.print(first, soft_wrap=False)
    for line in lines:
        console.print(Text(" " * indent + line), soft_wrap=False)


def one_line(cell: str) -> str:
    """``cell`` on one line: a tab or line break in it (a file's name) written ``\\t``,
    ``\\n`` or ``\\r``, as the tables write them, and a backslash ``\\\\`` so that a name
    holding a backslash then ``n`` is not read as one holding a line break; what would
    control a terminal (``| less``, ``| cat``) is shown as :func:`shown` shows it
    (``\\x1b``). :func:`unescape` reverses it all.

    >>> print(one_line("tab\\there"), one_line("a\\\\nb"), one_line("\\x1b[31mred"))
    tab\\there a\\\\nb \\x1b[31mred
    """
    return _ESCAPED.sub(_escaped, cell)


def unescape(cell: str) -> str:
    """A cell of a piped table as it was before :func:`one_line`.

    >>> name = "new\\nline, back\\\\nslash, \\x1b[31mred and \\\\x1b text"
    >>> unescape(one_line(name)) == name
    True
    """
    return _UNESCAPED.sub(_unescaped, cell)


_ESCAPE = {"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"}
_UNESCAPE = {escaped: char for char, escaped in _ESCAPE.items()}
_ESCAPED = re.compile("[\\\\\t\n\r]|" + _CONTROLS.pattern)
_UNESCAPED = re.compile(r"\\(?:[\\tnr]|x[0-9a-f]{2}|u[0-9a-f]{4})")


def _escaped(char: re.Match) -> str:
    return _ESCAPE.get(char[0]) or ascii(char[0])[1:-1]


def _unescaped(escape: re.Match) -> str:
    return _UNESCAPE.get(escape[0]) or chr(int(escape[0][2:], 16))


def styled(*parts: str | tuple[str, str]) -> Text:
    """One line of text from plain parts and ``(text, style)`` parts, nothing in it read
    as markup: the way to show user data beside a coloured label or figure.

    >>> styled(("error:", "red"), " ", "pip install \\"genriflow[ray]\\"").plain
    'error: pip install "genriflow[ray]"'
    """
    return Text.assemble(*(shown(part) if isinstance(part, str) else (shown(part[0]), part[1])
                           for part in parts))


def labelled(label: str, message: str, style: str = "yellow") -> Text:
    """``label:`` in ``style``, then ``message`` exactly as it is.

    >>> labelled("failed", "/music/Album [Deluxe]/02 Outro [bold].mp3: read-only").plain
    'failed: /music/Album [Deluxe]/02 Outro [bold].mp3: read-only'
    """
    return styled((f"{label}:", style), " ", message)



def counted(n: int, noun: str, plural: str | None = None) -> str:
    """``n`` and ``noun``, the noun plural unless ``n`` is one: the one way genriflow's
    messages count things.

    Parameters
    ----------
    n : int
        How many.
    noun : str
        The singular (``"song"``, ``"analysed song"``).
    plural : str, optional
        The plural where adding ``s`` is wrong (``"categories"``).

    >>> counted(1, "analysed song"), counted(2, "file"), counted(0, "category", "categories")
    ('1 analysed song', '2 files', '0 categories')
    """
    return f"{n} {noun if n == 1 else plural or noun + 's'}"
