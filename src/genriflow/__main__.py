"""``python -m genriflow``: the command line."""

from genriflow.cli import app

app()
