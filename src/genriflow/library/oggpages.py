"""How an Ogg stream's header packets lie on its pages, recorded and put back.

mutagen rewrites only the pages that hold the comment packet (Vorbis comments, OpusTags).
An encoder such as libvorbis puts the comment and the setup header on one page; a tag
write that grows the comment past a page gives it pages of its own, the setup header
left on a page by itself. Writing the old comment back then keeps that split, and the
file is a page header longer than it was. :func:`header_layout` records which pieces of
which packets lay on each header page, and :func:`lay_out` puts them so again.
"""

from __future__ import annotations

import os
from typing import Any

import mutagen
from mutagen.ogg import OggPage

#: Header packets after the identification header's page, by mutagen's class: a Vorbis
#: stream's comment and setup headers, an Opus stream's OpusTags.
HEADERS = {"OggVorbis": 2, "OggOpus": 1}

#: One page: the sizes of the packet pieces on it, whether its last packet ends on it,
#: whether its first piece continues a packet, its granule position.
Layout = list[list[Any]]


def _pages(fileobj, serial: int, packets: int) -> list[OggPage]:
    """The pages of stream ``serial`` after its first, up to the first page that ends a
    packet and its own last one, once ``packets`` packets have ended.

    Some encoders put the first audio packets on the last header page: they are part of
    its layout.
    """
    fileobj.seek(0)
    first = True
    pages: list[OggPage] = []
    ended = 0
    while ended < packets or not pages[-1].complete:
        page = OggPage(fileobj)
        if page.serial != serial:
            continue
        if first:
            first = False
            continue
        pages.append(page)
        ended += len(page.packets) - (not page.complete)
    return pages


def _layout(pages: list[OggPage]) -> Layout:
    return [[[len(p) for p in page.packets], page.complete, page.continued, page.position]
            for page in pages]


def header_layout(path: str | os.PathLike, kind: str, serial: int) -> Layout | None:
    """The layout of the header pages of stream ``serial`` of a ``kind`` file (mutagen's
    class name); ``None`` for another kind or pages that cannot be read."""
    count = HEADERS.get(kind)
    if count is None:
        return None
    try:
        with open(path, "rb") as f:
            return _layout(_pages(f, serial, count))
    except (OSError, EOFError, ValueError, mutagen.MutagenError):
        return None


def lay_out(path: str | os.PathLike, kind: str, serial: int, layout: Layout) -> bool:
    """Put the header packets back on pages as ``layout`` says, where they are the same
    packets (by size) lying otherwise; whether the file was changed (pages that cannot
    be read leave it as it is; an error writing it is raised)."""
    if kind not in HEADERS or not _valid(layout):
        return False
    with open(path, "rb+") as f:
        try:
            old = _pages(f, serial, len(_packet_sizes(layout)))
            packets = OggPage.to_packets(old)
        except (EOFError, ValueError, mutagen.MutagenError):
            return False
        if _layout(old) == layout or [len(p) for p in packets] != _packet_sizes(layout):
            return False
        data = b"".join(packets)
        new = []
        for pieces, complete, continued, position in layout:
            page = OggPage()
            page.complete, page.continued, page.position = complete, continued, position
            for size in pieces:
                page.packets.append(data[:size])
                data = data[size:]
            new.append(page)
        OggPage.replace(f, old, new)
    return True


def _valid(layout: Any) -> bool:
    """Whether ``layout`` (from the journal) is one :func:`header_layout` makes."""
    return isinstance(layout, list) and bool(layout) and all(
        isinstance(page, list) and len(page) == 4 and isinstance(page[0], list)
        and page[0] and all(type(n) is int and n >= 0 for n in page[0])
        and type(page[1]) is bool and type(page[2]) is bool and type(page[3]) is int
        for page in layout)


def _packet_sizes(layout: Layout) -> list[int]:
    sizes: list[int] = []
    for pieces, _, continued, _ in layout:
        for i, size in enumerate(pieces):
            if i == 0 and continued and sizes:
                sizes[-1] += size
            else:
                sizes.append(size)
    return sizes
