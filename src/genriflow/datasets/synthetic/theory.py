"""The music theory the recipes are written in: the bar grid, scales and chord symbols."""

from __future__ import annotations

import re

#: Sixteenth-note steps in one 4/4 bar; every pattern string has this length.
STEPS = 16

#: A chord: root in semitones above the key, and intervals above the root.
Chord = tuple[int, tuple[int, ...]]

_NUMERALS = {"I": 0, "II": 2, "III": 4, "IV": 5, "V": 7, "VI": 9, "VII": 11}
_SUFFIXES = {"": (), "7": (10,), "maj7": (11,), "9": (10, 14), "6": (9,), "add9": (14,)}
_CHORD_RE = re.compile(r"^(b?)(IV|iv|VI{0,2}|vi{0,2}|I{1,3}|i{1,3})(.*)$")

#: Scale name -> semitones above the key.
SCALES: dict[str, tuple[int, ...]] = {
    "major": (0, 2, 4, 5, 7, 9, 11),
    "minor": (0, 2, 3, 5, 7, 8, 10),
    "dorian": (0, 2, 3, 5, 7, 9, 10),
    "mixolydian": (0, 2, 4, 5, 7, 9, 10),
    "harmonic_minor": (0, 2, 3, 5, 7, 8, 11),
    "phrygian": (0, 1, 3, 5, 7, 8, 10),
    "major_pent": (0, 2, 4, 7, 9),
    "minor_pent": (0, 3, 5, 7, 10),
    "blues": (0, 3, 5, 6, 7, 10),
}


def parse_chord(symbol: str) -> Chord:
    """Root (semitones above the key) and intervals of a Roman-numeral chord symbol.

    Upper case is major, lower case minor, a leading ``b`` flattens the root; suffixes are
    ``7`` (dominant or minor seventh), ``maj7``, ``9``, ``6``, ``add9`` and ``5`` (power
    chord), e.g. ``'ii7'``, ``'V9'``, ``'bVII5'``.

    Raises
    ------
    ValueError
        If the symbol is not understood.
    """
    m = _CHORD_RE.match(symbol)
    if m is None or m[3] not in {*_SUFFIXES, "5"}:
        raise ValueError(f"unknown chord symbol {symbol!r}")
    flat, numeral, suffix = m.groups()
    root = (_NUMERALS[numeral.upper()] - len(flat)) % 12
    if suffix == "5":
        return root, (0, 7, 12)
    third = 3 if numeral.islower() else 4
    return root, (0, third, 7, *_SUFFIXES[suffix])
