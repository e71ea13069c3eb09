"""Tables on a terminal of any width from 60 columns: no word, genre with its percentage,
tag or voice text is ever broken across lines; a table too wide becomes one record per
row; names are printed as they are; through a pipe nothing changes."""

from __future__ import annotations

import io
import re

import numpy as np
import pytest
from rich.console import Console

from genriflow.inference.output import render_songs
from genriflow.inference.predict import Prediction
from genriflow.inference.tags import SongTags
from genriflow.progress import Cell, print_hanging, print_table

WIDTHS = [60, 80, 120, 200]
LABELS = ["blues", "classical", "jazz", "metal", "reggae", "rock"]
#: Names that read as markup or emoji codes, and a path long enough to fold.
NAMES = ["/music/Album_[Deluxe]_(2020)/[bold]x[/bold].ogg", "a[b].flac", "[red]:fire:[/red].ogg"]


def _song(
    path: str, top: dict[str, float], unknown: bool | None = None, floor: float = 0.5
) -> Prediction:
    p = np.array([top.get(g, 0.01) for g in LABELS])
    return Prediction(
        path, LABELS, p, np.array([0.0]), np.array([p]), unknown=unknown, min_confidence=floor
    )


PREDICTIONS = [
    _song(NAMES[0], {"classical": 0.56, "jazz": 0.09, "reggae": 0.07}),
    _song(NAMES[1], {"jazz": 0.45, "rock": 0.3, "blues": 0.11}, floor=0.6),
    _song(NAMES[2], {"metal": 0.4, "rock": 0.35, "blues": 0.12}, unknown=True),
]
TAGS = [
    SongTags(
        NAMES[0],
        [("msd:ambient", 0.26), ("mtt:ambient", 0.2), ("msd:electronic", 0.19)],
        "instrumental",
        0.24,
        [("chill", 0.9), ("dark", 0.8), ("calm", 0.7)],
    ),
    SongTags(
        NAMES[1],
        [("mtt:classical", 0.42), ("mtt:strings", 0.39)],
        "vocal",
        0.81,
        [("beautiful", 0.9)],
    ),
    SongTags(NAMES[2], [], "instrumental", 0.03, []),
]
#: Each token that must show whole, and how many times (once per song that has it).
GENRE_TOKENS = {
    "classical 56%": 1,
    "jazz 9%": 1,
    "reggae 7%": 1,
    "jazz 45%": 1,
    "rock 30%": 1,
    "blues 11%": 1,
    "metal 40%": 1,
    "rock 35%": 1,
    "blues 12%": 1,
    "(< 0.6)": 1,
    "unknown": 1,
}
TAG_TOKENS = {
    "msd:ambient 26%": 1,
    "mtt:ambient 20%": 1,
    "msd:electronic 19%": 1,
    "mtt:classical 42%": 1,
    "mtt:strings 39%": 1,
    "instrumental": 2,
    "(24% vocal)": 1,
    "(81% vocal)": 1,
    "(3% vocal)": 1,
    "chill": 1,
    "dark": 1,
    "calm": 1,
    "beautiful": 1,
}


def _terminal(width: int) -> Console:
    return Console(file=io.StringIO(), width=width, force_terminal=True, record=True)


def _names_shown(text: str, column: int = 0) -> str:
    """Every name as shown: a table's column (the first) joined across its lines, or the
    whole text of records."""
    cells = [
        line.split("│")[1 + column].strip() for line in text.splitlines() if line.startswith("│")
    ]
    return "".join(cells) if cells else text


def _render(width: int, tags: bool) -> str:
    console = _terminal(width)
    render_songs(PREDICTIONS, TAGS if tags else (), "table", 3, console)
    return console.export_text()


@pytest.mark.parametrize("tags", [False, True], ids=["genres", "with-tags"])
@pytest.mark.parametrize("width", WIDTHS)
def test_predict_shows_every_token_whole_at_any_width(width, tags):
    text = _render(width, tags)
    assert max(len(line) for line in text.splitlines()) <= width
    for token, times in {**GENRE_TOKENS, **(TAG_TOKENS if tags else {})}.items():
        assert text.count(token) == times, (token, text)
    shown = _names_shown(text)
    for name in NAMES:  # as they are: the brackets and colons never read as markup
        assert name in shown, (name, text)
    if not tags:
        assert "msd:" not in text and "vocal" not in text


@pytest.mark.parametrize(
    ("width", "tags"), [(80, False), (120, False), (200, False), (120, True), (200, True)]
)
def test_the_table_stays_one_row_per_song_where_it_fits(width, tags):
    text = _render(width, tags)
    lines = text.splitlines()
    header = next(line for line in lines if line.startswith("┃ file"))
    assert [c.strip() for c in header.split("┃")[1:-1]][:5] == ["file", "#1", "#2", "#3", "unsure"]
    if width == 200 and not tags:  # room for every cell on one line: one line per song
        rows = [line for line in lines if line.startswith("│")]
        assert [row.split("│")[1].strip() for row in rows] == NAMES


def test_a_table_too_wide_becomes_one_record_per_song():
    text = _render(60, True)
    assert "┃" not in text and "│" not in text
    lines = text.splitlines()
    for name in NAMES:  # each song's name on a line of its own, its fields below
        assert name in lines
    first = lines[: lines.index("") if "" in lines else None]
    assert first[0] == NAMES[0]
    assert [line.split()[0] for line in first[1:]][:4] == ["genres", "voice", "moods", "tags"]
    assert re.search(r"^  genres +classical 56%, jazz 9%, reggae 7%$", text, re.MULTILINE)
    # an empty field (the third song has no moods nor tags) is left out
    third = lines[lines.index(NAMES[2]) :]
    assert not any(line.lstrip().startswith(("moods", "tags")) for line in third)


def test_a_multi_label_models_genres_stay_whole_in_either_layout():
    names = [f"/music/{'[Live] ' * 6}song {i}.flac" for i in range(2)]
    songs = [
        Prediction(
            name,
            LABELS,
            np.array([0.1, 0.7, 0.6, 0.05, 0.5, 0.3]),
            np.array([0.0]),
            np.array([[0.1, 0.7, 0.6, 0.05, 0.5, 0.3]]),
            thresholds=np.full(len(LABELS), 0.45),
            min_confidence=0.5,
        )
        for name in names
    ]
    for width in WIDTHS:
        console = _terminal(width)
        render_songs(songs, TAGS[:1], "table", 3, console)
        text = console.export_text()
        assert max(map(len, text.splitlines())) <= width
        for token in ["classical 70%", "jazz 60%", "reggae 50%"]:
            assert text.count(token) == 2, (width, text)
        if "┃" not in text:  # records: the genres above their thresholds as one list
            assert text.count("thresholds met  classical, jazz, reggae") == 2, text


@pytest.mark.parametrize("tags", [False, True])
def test_through_a_pipe_the_table_is_unchanged(tags):
    piped = Console(file=io.StringIO(), width=60)
    render_songs(PREDICTIONS, TAGS if tags else (), "table", 3, piped)
    genres = [
        "/music/Album_[Deluxe]_(2020)/[bold]x[/bold].ogg\tclassical 56%\tjazz 9%\treggae 7%\t",
        "a[b].flac\tjazz 45%\trock 30%\tblues 11%\tyes (< 0.6)",
        "[red]:fire:[/red].ogg\tunknown (best guess: metal 40%)\trock 35%\tblues 12%\t",
    ]
    header = "file\t#1\t#2\t#3\tunsure"
    if tags:
        header += "\tvoice\tmoods\ttop tags"
        genres[0] += (
            "\tinstrumental (24% vocal)\tchill, dark, calm\tmsd:ambient 26%, "
            "mtt:ambient 20%, msd:electronic 19%"
        )
        genres[1] += "\tvocal (81% vocal)\tbeautiful\tmtt:classical 42%, mtt:strings 39%"
        genres[2] += "\tinstrumental (3% vocal)\t\t"
    assert piped.file.getvalue() == "\n".join([header, *genres]) + "\n"


def test_without_tags_the_table_fits_80_columns_even_with_long_names():
    long_names = [f"/media/music/{'A Very Long Album Title [Remastered] ' * 2}/{n}" for n in NAMES]
    songs = [_song(name, {"classical": 0.56, "jazz": 0.09}) for name in long_names]
    console = _terminal(80)
    render_songs(songs, (), "table", 3, console)
    text = console.export_text()
    assert text.startswith("┏") and max(map(len, text.splitlines())) <= 80
    assert text.count("classical 56%") == 3 and text.count("jazz 9%") == 3
    shown = _names_shown(text).replace(" ", "")
    for name in long_names:
        assert name.replace(" ", "") in shown


@pytest.mark.parametrize("width", WIDTHS)
def test_any_table_wraps_between_words_or_becomes_records(width):
    header = ["run", "kind", "source", "when", "files", "failed", "undone by"]
    rows = [
        [
            "12",
            "apply",
            "/music/plans/[bold]2026-12-07 plan.csv",
            "2026-12-07 13:00:00",
            "1204",
            "3",
            "",
        ],
        ["13", "undo", Cell(["run 12", "(all files)"]), "2026-12-07 14:10:09", "1204", "0", "12"],
    ]
    console = _terminal(width)
    print_table(console, header, rows, title="tag runs", right=["run", "files"], fold=["source"])
    text = console.export_text()
    assert max(map(len, text.splitlines())) <= width
    words = [
        word
        for row in rows
        for cell in row[1:]
        if cell != row[2]
        for word in (cell.items if isinstance(cell, Cell) else cell.split())
    ]
    for word in words:
        assert word in text, (word, text)
    assert ("┃" in text) == (width >= 80)  # the table while it fits, else records
    sources = _names_shown(text, column=2)
    assert "/music/plans/[bold]2026-12-07" in sources.replace(" ", "")


def test_a_long_path_hangs_under_its_own_start_and_never_breaks_a_word():
    console = _terminal(60)
    reason = "cannot decode: [Errno 5] End of file"
    print_hanging(console, "scan      corrupt      ", f"/music/[bold] Live/broken.ogg: {reason}")
    lines = console.export_text().splitlines()
    assert lines[0].startswith("scan      corrupt      /music/")
    assert all(line.startswith(" " * 23) for line in lines[1:])
    joined = " ".join(line.strip() for line in lines)
    assert "[bold]" in joined and all(word in joined for word in reason.split())
    piped = Console(file=io.StringIO(), width=20)
    print_hanging(piped, "scan  ", f"/music/broken.ogg: {reason}")
    assert piped.file.getvalue() == f"scan  /music/broken.ogg: {reason}\n"


def test_models_on_a_narrow_terminal_wrap_between_items(monkeypatch):
    import genriflow.cli.models as models

    console = _terminal(60)
    monkeypatch.setattr(models, "console", console)
    models.command(format="table")
    text = console.export_text()
    assert max(map(len, text.splitlines())) <= 60
    per_genre = re.findall(r"\b([a-z-]+ [01]\.\d\d)\b", text)
    assert "classical 0.93" in per_genre  # the gtzan head's figure, whole
    blocks = [line for line in text.splitlines() if line.startswith("  per genre")]
    assert blocks and all(line.rstrip().endswith(",") or "rock" in line for line in blocks)


def test_json_is_plain_when_colour_is_forced_onto_a_pipe():
    # FORCE_COLOR makes rich call a pipe a terminal; the JSON must still load.
    import json

    forced = Console(file=io.StringIO(), width=60, force_terminal=True)
    assert forced.is_terminal
    render_songs(PREDICTIONS, TAGS, "json", 3, forced)
    records = json.loads(forced.file.getvalue())
    assert [r["path"] for r in records][1] == "a[b].flac"


def test_no_song_is_no_table_but_csv_and_json_keep_their_empty_forms():
    for fmt, shown in (("table", ""), ("json", "[]\n")):
        piped = Console(file=io.StringIO(), width=60)
        render_songs([], (), fmt, 3, piped)
        assert piped.file.getvalue() == shown, fmt
    piped = Console(file=io.StringIO(), width=60)
    render_songs([], (), "csv", 3, piped)
    assert piped.file.getvalue().startswith("path")  # the header a reader expects


def test_a_top_above_the_models_genres_gives_no_empty_columns():
    piped = Console(file=io.StringIO(), width=60)
    render_songs(PREDICTIONS, (), "table", len(LABELS) + 2, piped)
    header, *rows = piped.file.getvalue().splitlines()
    assert header.split("\t")[-2] == f"#{len(LABELS)}"  # the last genre, then unsure
    assert all(cell for row in rows for cell in row.split("\t")[1:-1])


def test_an_item_wider_than_a_narrow_terminal_breaks_between_its_words():
    # on 40 columns `unknown (best guess: blues 29%)` was cut where the line ended, its
    # `)` alone at the start of the next line
    console = _terminal(40)
    unknown = Prediction("a.ogg", LABELS, np.array([0.29, 0.2, 0.12, 0.2, 0.1, 0.09]),
                         np.array([0.0]), np.array([[0.29, 0.2, 0.12, 0.2, 0.1, 0.09]]),
                         unknown=True)
    render_songs([unknown], (), "table", 3, console)
    assert console.export_text().splitlines() == [
        "a.ogg", "  genres  unknown (best guess: blues", "          29%), metal 20%, classical 20%"]
