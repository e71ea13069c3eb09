"""``genriflow library check``: is the library index whole, and how to recover if not.

A few lines over :func:`genriflow.library.check.check_index`; registered on the ``library``
group by :mod:`genriflow.cli.library`.
"""

from __future__ import annotations

import typer

from genriflow.cli.common import console, err_console
from genriflow.cli.library_options import Db


def check(db: Db = None) -> None:
    """Check the library index without changing it: readable, whole (SQLite's integrity
    check), a schema this genriflow knows; counts of songs, analyses, tag runs and journal
    entries a killed `apply` left pending.

    A damaged index is named with the reason, and how to recover; exit status 1.
    """
    from genriflow.library import default_db_path
    from genriflow.library.check import check_index

    report = check_index(db if db is not None else default_db_path())
    if report.ok:
        console.print(str(report), highlight=False, markup=False)
        return
    err_console.print(str(report), highlight=False, markup=False, soft_wrap=True)
    raise typer.Exit(1)
