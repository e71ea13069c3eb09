"""Modules of different packages share a name only with the reason in a docstring, and
none is over 600 lines.

A reader who meets ``tune.py`` twice should find, in either module's docstring, the other
one named and what differs. A command's module under ``cli/`` is named after the command
it implements, which its docstring's first words say (```genriflow NAME```).
"""

import ast
import itertools
from collections import defaultdict
from pathlib import Path

import genriflow

SRC = Path(genriflow.__file__).parent


def _modules() -> dict[str, list[Path]]:
    by_name = defaultdict(list)
    for path in sorted(SRC.rglob("*.py")):
        if path.stem not in ("__init__", "__main__"):
            by_name[path.stem].append(path)
    return {name: paths for name, paths in by_name.items() if len(paths) > 1}


def _dotted(path: Path) -> str:
    return "genriflow." + ".".join(path.relative_to(SRC).with_suffix("").parts)


def _docstring(path: Path) -> str:
    return ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""


def _explained(a: Path, b: Path) -> bool:
    named_command = [p for p in (a, b) if p.parent.name == "cli"
                     and _docstring(p).startswith(f"``genriflow {p.stem}")]
    return bool(named_command) or _dotted(b) in _docstring(a) or _dotted(a) in _docstring(b)


def test_shared_module_names_say_why():
    unexplained = [f"{_dotted(a)} / {_dotted(b)}"
                   for paths in _modules().values()
                   for a, b in itertools.combinations(paths, 2) if not _explained(a, b)]
    assert not unexplained, "modules sharing a name with no reason: " + ", ".join(unexplained)


def test_the_check_sees_the_packages():
    assert "clustering" in _modules()


def test_no_module_over_600_lines():
    """A module says one thing; past about 600 lines it says several (issue 27)."""
    long = {_dotted(p): n for p in SRC.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 600}
    assert not long, f"modules over 600 lines: {long}"
