"""What genriflow shows on a terminal: the progress bar of its long jobs (feature
extraction, library scans and classification) and its tables.

User data (paths, tag values, model names, reasons) is shown exactly as it is: nothing
here reads rich markup (``[bold]``, ``[/x]``) or emoji codes (``:fire:``) in it, so a song
named ``02 Outro [bold].mp3`` or a model folder ``/music/[FLAC]/models/mine`` keeps its
name and never breaks the display.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from rich.console import Console
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


class _Rate(ProgressColumn):
    def __init__(self, unit: str) -> None:
        super().__init__()
        self.unit = unit

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("" if speed is None else f"{speed:.2f} {self.unit}/s")


def bar_console() -> Console:
    """Where progress bars are drawn: standard error, so that standard output carries the
    results alone (``predict --format csv > songs.csv`` writes no bar into the file)."""
    return Console(stderr=True)


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
    description = Column(ratio=1, no_wrap=True, overflow="ellipsis")
    return Progress(
        TextColumn("{task.description}", markup=False, table_column=description),
        BarColumn(bar_width=20), MofNCompleteColumn(), _Rate(unit), TimeElapsedColumn(),
        TextColumn("ETA"), TimeRemainingColumn(),
        disable=not enabled, transient=False, console=bar_console(), expand=True,
    )


def print_table(console: Console, header: Sequence[str], rows: Iterable[Sequence[str]], *,
                title: str | None = None, right: Iterable[str] = (),
                styles: Sequence[str | None] | None = None) -> None:
    """Print a table: every cell whole and as it is, on a terminal and through a pipe alike.

    On a terminal, a rich table whose cells wrap (never cut short) to the width. Anywhere
    else (a pipe, a file), its ``title`` on a line of its own, then the header and one line
    per row, tab-separated: no column is ever cut to fit 80 columns, and each row can be
    read back (``pandas.read_csv(..., sep="\\t", skiprows=1)``). A tab or line break
    inside a cell is written ``\\t`` or ``\\n`` so that each row stays one line.

    Parameters
    ----------
    console : rich.console.Console
    header : sequence of str
        The column names.
    rows : iterable of sequence of str
        One sequence of cells per row; nothing in them is read as markup.
    title : str or None
    right : iterable of str
        Columns aligned right on a terminal (numbers).
    styles : sequence of (str or None), or None
        Each row's style on a terminal (``"dim"``, ``"bold green"``).

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
    rows = [[str(cell) for cell in row] for row in rows]
    if not console.is_terminal:
        lines = [] if title is None else [_one_line(title)]
        lines += ["\t".join(map(_one_line, row)) for row in [list(header), *rows]]
        console.file.write("\n".join(lines) + "\n")  # rich would expand the tabs
        console.file.flush()
        return
    right = set(right)
    table = Table(title=None if title is None else Text(title), title_justify="left")
    for column in header:
        table.add_column(Text(column), justify="right" if column in right else "left",
                         overflow="fold")
    for i, row in enumerate(rows):
        table.add_row(*map(Text, row), style=None if styles is None else styles[i])
    console.print(table)


def _one_line(cell: str) -> str:
    return cell.replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def styled(*parts: str | tuple[str, str]) -> Text:
    """One line of text from plain parts and ``(text, style)`` parts, nothing in it read
    as markup: the way to show user data beside a coloured label or figure.

    >>> styled(("error:", "red"), " ", "pip install \\"genriflow[ray]\\"").plain
    'error: pip install "genriflow[ray]"'
    """
    return Text.assemble(*parts)


def labelled(label: str, message: str, style: str = "yellow") -> Text:
    """``label:`` in ``style``, then ``message`` exactly as it is.

    >>> labelled("failed", "/music/Album [Deluxe]/02 Outro [bold].mp3: read-only").plain
    'failed: /music/Album [Deluxe]/02 Outro [bold].mp3: read-only'
    """
    return styled((f"{label}:", style), " ", message)

