"""``report.html``: a run folder's ``report.md`` and pictures in one self-contained file.

The Markdown is rendered by Python-Markdown (``tables`` extension, raw HTML shown as text);
every picture it refers to, and the run's other pictures (``pictures``; without it every
other PNG of the folder) in a closing "Pictures" section, is embedded as a base64
``data:`` URI, so the file can be mailed or archived alone. No external resource and no
JavaScript. Rewriting is idempotent: the page depends only on ``report.md`` and the PNGs.
"""

from __future__ import annotations

import base64
import html
import mimetypes
import os
import re
from collections.abc import Iterable
from pathlib import Path

import markdown

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
       max-width: 60rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.5; color: #222; }
h1, h2 { border-bottom: 1px solid #ddd; padding-bottom: 0.2rem; }
table { border-collapse: collapse; margin: 1rem 0; }
th, td { border: 1px solid #ccc; padding: 0.3rem 0.7rem; text-align: left; }
th { background: #f2f2f2; }
tr:nth-child(even) td { background: #fafafa; }
code { background: #f4f4f4; padding: 0 0.2rem; border-radius: 3px; }
img { max-width: 100%; height: auto; }
figure { margin: 1.5rem 0; }
figcaption { font-size: 0.9rem; color: #555; }
"""

_IMG_SRC = re.compile(r'(<img\b[^>]*?\bsrc=")([^"]*)(")')
_H1 = re.compile(r"<h1[^>]*>(.*?)</h1>", re.DOTALL)
_TAG = re.compile(r"<[^>]+>")


def write_html_report(folder: str | os.PathLike, *,
                      pictures: Iterable[str | os.PathLike] | None = None) -> Path:
    """Render ``folder/report.md`` with its pictures into ``folder/report.html``.

    Parameters
    ----------
    folder : path
        A run folder holding ``report.md`` and PNG pictures.
    pictures : iterable of path or None
        The pictures this run wrote, shown after those ``report.md`` names; ``None``: every
        PNG in the folder. A run whose pictures are named after what it drew (a song, a
        method) names them, so that a rerun into the folder of an earlier one does not
        show the earlier run's pictures as its own.

    Returns
    -------
    Path
        ``folder/report.html``, overwritten on every call.

    Raises
    ------
    FileNotFoundError
        If the folder has no ``report.md``.
    """
    folder = Path(folder)
    body = _render((folder / "report.md").read_text(encoding="utf-8"))
    body, embedded = _embed_images(body, folder)
    shown = folder.glob("*.png") if pictures is None else (Path(p) for p in pictures)
    others = sorted(p for p in shown if p.resolve() not in embedded)
    if others:
        body += "\n<h2>Pictures</h2>\n" + "\n".join(_figure(p) for p in others)
    path = folder / "report.html"
    path.write_text(_page(_title(body, folder), body), encoding="utf-8")
    return path


def _render(text: str) -> str:
    """Markdown with tables to HTML; raw HTML in the text is shown as text, not obeyed.

    Reports quote file names and decoder messages, which may hold ``<`` or ``&``; with the
    raw-HTML rules off, every character of them is escaped exactly once.
    """
    md = markdown.Markdown(extensions=["tables"], output_format="html")
    md.preprocessors.deregister("html_block")
    md.inlinePatterns.deregister("html")
    return md.convert(text)


def _embed_images(body: str, folder: Path) -> tuple[str, set[Path]]:
    """Replace the ``src`` of every ``<img>`` naming a file of ``folder`` by a data URI."""
    embedded: set[Path] = set()
    root = folder.resolve()

    def replace(match: re.Match[str]) -> str:
        target = (folder / html.unescape(match[2])).resolve()
        if not target.is_file() or not target.is_relative_to(root):
            return match[0]
        embedded.add(target)
        return match[1] + _data_uri(target) + match[3]

    return _IMG_SRC.sub(replace, body), embedded


def _data_uri(path: Path) -> str:
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"data:{mime};base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def _figure(path: Path) -> str:
    name = html.escape(path.name)
    return (f'<figure><img src="{_data_uri(path)}" alt="{name}">'
            f"<figcaption>{name}</figcaption></figure>")


def _title(body: str, folder: Path) -> str:
    """Text of the first ``<h1>`` (already HTML-escaped by Markdown), else the folder name."""
    heading = _H1.search(body)
    if heading:
        text = _TAG.sub("", heading[1]).strip()
        if text:
            return text
    return html.escape(folder.resolve().name)


def _page(title: str, body: str) -> str:
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>{title}</title>\n<style>{_CSS}</style>\n</head>\n"
            f"<body>\n{body}\n</body>\n</html>\n")
