"""A labelled 10-genre synthetic music corpus: genriflow's built-in demo dataset.

Every clip is rendered from a per-genre *recipe* (:data:`RECIPES`): a tempo range, drum
patterns built from noise bursts and decaying sines, chord progressions written as Roman
numerals, comping rhythms, bass lines, lead melodies and instrument timbres (wavetable
additive synthesis, tanh distortion, plucked strings, detuned string pads). Each clip draws its
own tempo, key, brightness, mix, noise, recording quality and set of instruments, and now and
then borrows an ingredient from a neighbouring genre, so the genres overlap the way real ones
do and no classifier should reach 100 %.

The corpus follows GTZAN's folder layout (``<genre>/synth-<genre>.00042.<ext>``), so it
stands in for GTZAN in the demo and in the tests.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import TypeVar

import numpy as np
import soundfile as sf
from scipy import signal

from genriflow.datasets.gtzan import GTZAN_GENRES

#: Sixteenth-note steps in one 4/4 bar; every pattern string has this length.
STEPS = 16

#: File extension -> (soundfile format, subtype) used by :func:`make_demo_corpus`.
FORMATS: dict[str, tuple[str, str]] = {
    "wav": ("WAV", "PCM_16"),
    "flac": ("FLAC", "PCM_16"),
    "ogg": ("OGG", "VORBIS"),
    "mp3": ("MP3", "MPEG_LAYER_III"),
    "au": ("AU", "PCM_16"),
}

#: Probability that a clip borrows ingredients from a neighbouring genre.
BORROW_PROB = 0.1

#: A chord: root in semitones above the key, and intervals above the root.
Chord = tuple[int, tuple[int, ...]]

_T = TypeVar("_T")
_TABLE_SIZE = 2048
_VELOCITY = {"X": 1.0, "x": 0.75, "o": 0.4}

# --------------------------------------------------------------------------- music theory

_NUMERALS = {"I": 0, "II": 2, "III": 4, "IV": 5, "V": 7, "VI": 9, "VII": 11}
_SUFFIXES = {"": (), "7": (10,), "maj7": (11,), "9": (10, 14), "6": (9,), "add9": (14,)}
_CHORD_RE = re.compile(r"^(b?)(IV|iv|VI{0,2}|vi{0,2}|I{1,3}|i{1,3})(.*)$")
_SCALES: dict[str, tuple[int, ...]] = {
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
_VOWELS = ((730, 1090, 2440), (530, 1840, 2480), (270, 2290, 3010), (570, 840, 2410))


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


def _hz(midi: float) -> float:
    return 440.0 * 2.0 ** ((float(midi) - 69.0) / 12.0)


# --------------------------------------------------------------------------- recipe tables


@dataclass(frozen=True)
class Timbre:
    """An instrument: harmonic spectrum, envelope and playing style.

    Attributes
    ----------
    slope : float
        Harmonic ``k`` has amplitude ``k ** -slope`` (small = bright).
    n_harm : int
        Number of harmonics (before band-limiting).
    even : float
        Gain of the even harmonics (0: hollow, clarinet-like).
    attack, decay, sustain, release : float
        ADSR envelope: seconds, seconds (time constant), level, seconds.
    pluck : float
        Seconds for a bright attack to fade into a dark body, Karplus-Strong style (0: none).
    detune : float
        Cents between two chorus voices (0: a single voice).
    vibrato : float
        Vibrato depth in cents.
    noise : float
        Level of the attack noise (pick, hammer, breath).
    strum : float
        Seconds between successive strings of a strummed chord.
    drive : float
        tanh distortion applied to the rendered part (0: clean).
    formants : bool
        Shape each note with a random vowel's formants (a voice).
    """

    slope: float
    n_harm: int = 16
    even: float = 1.0
    attack: float = 0.005
    decay: float = 0.5
    sustain: float = 0.5
    release: float = 0.1
    pluck: float = 0.0
    detune: float = 0.0
    vibrato: float = 0.0
    noise: float = 0.0
    strum: float = 0.0
    drive: float = 0.0
    formants: bool = False


# fmt: off
TIMBRES: dict[str, Timbre] = {
    "piano": Timbre(1.4, 18, attack=0.002, decay=0.7, sustain=0.08, release=0.2, pluck=0.2,
                    noise=0.04),
    "epiano": Timbre(2.6, 8, attack=0.003, decay=0.9, sustain=0.15, release=0.2, pluck=0.35),
    "organ": Timbre(0.7, 10, even=0.5, attack=0.01, decay=1.0, sustain=1.0, release=0.05),
    "strings": Timbre(1.0, 22, attack=0.25, decay=1.0, sustain=0.9, release=0.4, detune=9.0,
                      vibrato=12.0),
    "acoustic": Timbre(1.0, 22, attack=0.002, decay=0.5, sustain=0.05, release=0.15,
                       pluck=0.08, noise=0.12, strum=0.012),
    "clean_guitar": Timbre(1.3, 14, attack=0.003, decay=0.5, sustain=0.2, release=0.08,
                           pluck=0.15, noise=0.05, strum=0.008),
    "dist_guitar": Timbre(0.9, 20, attack=0.004, decay=1.0, sustain=0.85, release=0.05,
                          pluck=0.3, strum=0.004),
    "synth": Timbre(1.0, 22, attack=0.02, decay=0.4, sustain=0.7, release=0.15, detune=14.0),
    "brass": Timbre(1.1, 14, even=0.6, attack=0.04, decay=0.5, sustain=0.8, release=0.08,
                    vibrato=18.0, noise=0.06),
    "violin": Timbre(0.9, 20, attack=0.12, decay=1.0, sustain=0.9, release=0.2, vibrato=28.0,
                     noise=0.03),
    "flute": Timbre(3.0, 6, even=0.4, attack=0.06, decay=1.0, sustain=0.9, release=0.1,
                    vibrato=15.0, noise=0.1),
    "lead_guitar": Timbre(0.9, 18, attack=0.004, decay=0.8, sustain=0.8, release=0.05,
                          vibrato=25.0, drive=5.0),
    "banjo": Timbre(0.8, 20, attack=0.001, decay=0.18, sustain=0.0, release=0.05, pluck=0.04,
                    noise=0.1),
    "harmonica": Timbre(0.8, 14, even=0.3, attack=0.03, decay=0.6, sustain=0.8, release=0.06,
                        vibrato=30.0, noise=0.12),
    "steel": Timbre(2.2, 10, attack=0.01, decay=1.5, sustain=0.6, release=0.3, vibrato=22.0),
    "rap": Timbre(1.2, 30, attack=0.01, decay=0.12, sustain=0.3, release=0.04, noise=0.35,
                  formants=True),
    "vox": Timbre(1.2, 30, attack=0.05, decay=1.0, sustain=0.9, release=0.1, vibrato=20.0,
                  noise=0.02, formants=True),
    "finger_bass": Timbre(2.2, 8, attack=0.004, decay=0.5, sustain=0.35, release=0.06,
                          pluck=0.1),
    "upright_bass": Timbre(2.6, 6, attack=0.006, decay=0.3, sustain=0.1, release=0.08,
                           noise=0.05),
    "pick_bass": Timbre(1.4, 12, attack=0.002, decay=0.5, sustain=0.5, release=0.04,
                        pluck=0.06),
    "synth_bass": Timbre(1.1, 14, attack=0.005, decay=0.3, sustain=0.7, release=0.05),
    "sub_bass": Timbre(5.0, 3, attack=0.004, decay=0.6, sustain=0.4, release=0.1),
}
# fmt: on


@dataclass(frozen=True)
class DrumPart:
    """One drum voice: which sound (one of ``voices``) plays which 16-step pattern.

    Pattern characters: ``X`` accent, ``x`` hit, ``o`` ghost note, ``?`` random ghost,
    ``.`` rest.
    """

    voices: tuple[str, ...]
    patterns: tuple[str, ...]
    prob: float = 1.0


@dataclass(frozen=True)
class Comp:
    """A comping rhythm for the chord instrument.

    Attributes
    ----------
    pattern : str
        16-step pattern (``x``/``X``/``o`` hits).
    legato : float
        Note length as a fraction of the gap to the next hit (above 1: let ring).
    arp : bool
        Play one chord tone per hit, cycling upwards, instead of the whole chord.
    """

    pattern: str
    legato: float = 0.9
    arp: bool = False


@dataclass(frozen=True)
class Bass:
    """A bass line: 16-step rhythm and the chord degrees its hits cycle through.

    ``notes`` characters: ``R`` root, ``3``, ``5``, ``6``, ``7`` chord degrees, ``8`` octave,
    ``w`` walking (chord or passing tone; the bar's last hit approaches the next root).
    """

    pattern: str
    notes: str = "R"
    legato: float = 0.85


@dataclass(frozen=True)
class GenreRecipe:
    """Everything that makes a genre; each tuple lists alternatives drawn per clip."""

    tempo: tuple[float, float]
    progressions: tuple[str, ...]
    comps: tuple[Comp, ...]
    timbres: tuple[str, ...]
    basses: tuple[Bass, ...]
    bass_timbres: tuple[str, ...]
    drums: tuple[DrumPart, ...]
    lead_timbres: tuple[str, ...]
    scales: tuple[str, ...]
    lead_steps: tuple[int, ...]
    neighbours: tuple[str, ...]
    swing: tuple[float, float] = (0.0, 0.0)
    swing16: bool = False
    bars_per_chord: tuple[int, ...] = (1,)
    drive: tuple[float, float] = (0.0, 0.0)
    register: int = 52
    crash_every: int = 0
    lead_span: int = 10
    presence: tuple[float, float, float, float] = (1.0, 1.0, 1.0, 0.5)
    mix: tuple[float, float, float, float] = (1.0, 0.8, 0.7, 0.6)
    lofi: float = 0.1
    cutoff: tuple[float, float] = (6000.0, 16000.0)
    master_drive: tuple[float, float] = (0.0, 0.0)


# fmt: off
#: Fields a clip may take from a neighbouring genre's recipe.
BORROWABLE = ("tempo", "progressions", "comps", "timbres", "basses", "bass_timbres", "drums",
              "lead_timbres", "scales", "swing", "drive")

_BACKBEAT = DrumPart(("snare",), ("....x.......x...",))
_EIGHTHS = "x.x.x.x.x.x.x.x."
_SIXTEENTHS = "xoxoxoxoxoxoxoxo"

RECIPES: dict[str, GenreRecipe] = {
    "blues": GenreRecipe(
        tempo=(60, 125),
        progressions=("I7 I7 I7 I7 IV7 IV7 I7 I7 V7 IV7 I7 V7",
                      "I7 IV7 I7 I7 IV7 IV7 I7 I7 V7 IV7 I7 V7",
                      "i7 i7 i7 i7 iv7 iv7 i7 i7 V7 iv7 i7 V7"),
        comps=(Comp(_EIGHTHS, 0.8), Comp("x.......x.......", 1.0), Comp("x..x..x.x..x..x.", 0.6)),
        timbres=("piano", "clean_guitar", "organ"),
        basses=(Bass(_EIGHTHS, "R356"), Bass("x...x...x...x...", "R358"), Bass(_EIGHTHS, "R5")),
        bass_timbres=("finger_bass", "upright_bass"),
        drums=(DrumPart(("kick",), ("x.......x.......", "x.....x.x.......")), _BACKBEAT,
               DrumPart(("closed_hat", "ride"), (_EIGHTHS, "x.xxx.xxx.xxx.xx"))),
        lead_timbres=("harmonica", "clean_guitar", "lead_guitar", "harmonica"),
        scales=("blues", "minor_pent"),
        lead_steps=(2, 2, 4, 6, 8),
        neighbours=("jazz", "rock", "country"),
        swing=(0.5, 1.0), drive=(0.0, 1.5), lofi=0.2, presence=(1.0, 1.0, 1.0, 0.8),
        mix=(0.7, 0.9, 0.8, 0.8), cutoff=(2500.0, 7000.0),
    ),
    "classical": GenreRecipe(
        tempo=(50, 120),
        progressions=("I IV V I", "I vi ii V", "i iv V i", "I V vi iii IV I IV V",
                      "i VI III VII", "I IV I V"),
        comps=(Comp("x...............", 1.0), Comp("x.......x.......", 1.0),
               Comp(_EIGHTHS, 2.5, arp=True), Comp("xxxxxxxxxxxxxxxx", 3.0, arp=True)),
        timbres=("strings", "strings", "piano"),
        basses=(Bass("x...............", "R", 1.0), Bass("x.......x.......", "R5", 1.0)),
        bass_timbres=("strings", "upright_bass"),
        drums=(),
        lead_timbres=("violin", "flute", "piano"),
        scales=("major", "harmonic_minor"),
        lead_steps=(2, 4, 4, 8),
        neighbours=("jazz",),
        bars_per_chord=(1, 2), register=55,
        presence=(0.0, 1.0, 0.8, 0.9), mix=(0.0, 1.0, 0.5, 0.7), lofi=0.05,
        cutoff=(4000.0, 12000.0),
    ),
    "country": GenreRecipe(
        tempo=(90, 160),
        progressions=("I IV V I", "I I IV IV V V I I", "I IV I V", "I V vi IV"),
        comps=(Comp("x...x...x...x...", 0.9), Comp("....x.......x...", 0.5),
               Comp(_EIGHTHS, 2.0, arp=True), Comp("x..x..x.x.x.x.x.", 0.8)),
        timbres=("acoustic", "acoustic", "clean_guitar", "piano"),
        basses=(Bass("x.......x.......", "R5"), Bass("x...x...x...x...", "R5R3")),
        bass_timbres=("finger_bass", "upright_bass"),
        drums=(DrumPart(("kick",), ("x.......x.......",)),
               DrumPart(("snare", "brush", "rim"), ("....x.......x...", "o.x.o.x.o.x.o.x.")),
               DrumPart(("closed_hat", "shaker"), (_EIGHTHS,), 0.7)),
        lead_timbres=("violin", "banjo", "steel", "vox"),
        scales=("major_pent", "major"),
        lead_steps=(1, 2, 2, 4),
        neighbours=("blues", "rock", "pop"),
        swing=(0.0, 0.3), register=57, presence=(0.9, 1.0, 1.0, 0.85), lofi=0.05,
    ),
    "disco": GenreRecipe(
        tempo=(112, 130),
        progressions=("i7 iv7", "i7 i7 iv7 v7", "vi7 ii7 V7 Imaj7", "ii7 V7"),
        comps=(Comp("..x...x...x...x.", 0.4), Comp("x.xxx.x.x.xx.x.x", 0.4),
               Comp("x...............", 1.0), Comp("x.x..x.x..x.x.x.", 0.5)),
        timbres=("clean_guitar", "strings", "epiano", "synth"),
        basses=(Bass(_EIGHTHS, "R8"), Bass("x.xx.xx.x.xx.xx.", "R8R5")),
        bass_timbres=("finger_bass", "synth_bass"),
        drums=(DrumPart(("kick",), ("x...x...x...x...",)),
               DrumPart(("snare", "clap"), ("....x.......x...",)),
               DrumPart(("open_hat",), ("..x...x...x...x.",)),
               DrumPart(("closed_hat", "shaker"), ("xxxxxxxxxxxxxxxx", _EIGHTHS), 0.7)),
        lead_timbres=("strings", "synth", "vox", "brass"),
        scales=("dorian", "minor_pent"),
        lead_steps=(2, 2, 4, 8),
        neighbours=("pop", "hiphop", "reggae"),
        presence=(1.0, 1.0, 1.0, 0.7), lofi=0.05,
    ),
    "hiphop": GenreRecipe(
        tempo=(72, 100),
        progressions=("i7 i7", "i7 iv7", "i VI III VII", "i7 bVImaj7", "i"),
        comps=(Comp("x...............", 1.0), Comp("x.....x.........", 0.9),
               Comp("x..x..x.........", 0.5)),
        timbres=("epiano", "piano", "strings", "synth"),
        basses=(Bass("x.....x...x.....", "R", 1.0), Bass("x..........x....", "R", 1.0),
                Bass("x.....x.x.......", "R58", 0.9)),
        bass_timbres=("sub_bass", "sub_bass", "synth_bass"),
        drums=(DrumPart(("kick", "kick808"), ("x.....x...x.....", "x......xx.x.....",
                                               "x..x......x..x..")),
               DrumPart(("snare", "clap"), ("....x.......x...",)),
               DrumPart(("closed_hat",), (_EIGHTHS, _SIXTEENTHS, "x.xxx.x.x.xxx.x."))),
        lead_timbres=("rap", "rap", "vox", "synth"),
        scales=("minor_pent", "minor"),
        lead_steps=(1, 1, 2, 2, 3),
        neighbours=("reggae", "disco", "pop"),
        swing=(0.0, 0.5), swing16=True, bars_per_chord=(1, 2),
        lead_span=3, presence=(1.0, 0.85, 1.0, 0.85), mix=(1.4, 0.5, 1.3, 0.7), lofi=0.2,
        cutoff=(4000.0, 14000.0),
    ),
    "jazz": GenreRecipe(
        tempo=(80, 200),
        progressions=("ii7 V9 Imaj7 Imaj7", "ii7 V7 Imaj7 vi7", "iii7 vi7 ii7 V7",
                      "Imaj7 vi7 ii9 V9", "ii9 V9 Imaj7 IV7", "i7 i7 iv7 V7"),
        comps=(Comp("x.....x.........", 0.6), Comp("...x......x.....", 0.5),
               Comp("x.......x.......", 0.9), Comp("..x.....x.....x.", 0.4)),
        timbres=("piano", "epiano", "clean_guitar"),
        basses=(Bass("x...x...x...x...", "wwww", 0.9),),
        bass_timbres=("upright_bass", "upright_bass", "finger_bass"),
        drums=(DrumPart(("ride",), ("x...x.x.x...x.x.",)),
               DrumPart(("closed_hat",), ("....x.......x...",)),
               DrumPart(("snare", "brush"), ("????????????????",), 0.8),
               DrumPart(("kick",), ("o...o...o...o...", "?.?.?.?.?.?.?.?."), 0.6)),
        lead_timbres=("brass", "brass", "piano", "brass"),
        scales=("dorian", "mixolydian", "blues"),
        lead_steps=(1, 2, 2, 2, 3, 4),
        neighbours=("blues", "classical"),
        swing=(0.6, 1.0), register=50,
        presence=(0.95, 0.9, 1.0, 0.85), mix=(0.6, 0.8, 0.8, 0.8), lofi=0.15,
        cutoff=(3000.0, 10000.0),
    ),
    "metal": GenreRecipe(
        tempo=(100, 200),
        progressions=("i5 i5 bVI5 bVII5", "i5 bII5 i5 i5", "i5 bVII5 bVI5 bVII5",
                      "i5 iv5 bVI5 V5"),
        comps=(Comp("xxxxxxxxxxxxxxxx", 0.6), Comp("x.xxx.xxx.xxx.xx", 0.6),
               Comp("x.......x.......", 1.0), Comp("x..x..x.x..x..x.", 0.8)),
        timbres=("dist_guitar",),
        basses=(Bass("xxxxxxxxxxxxxxxx", "R", 0.7), Bass(_EIGHTHS, "R")),
        bass_timbres=("pick_bass",),
        drums=(DrumPart(("kick",), ("xxxxxxxxxxxxxxxx", "x.x.x.x.x.x.x.x.", "x..x..x.x.x..x..")),
               DrumPart(("snare",), ("....x.......x...", "..x...x...x...x.")),
               DrumPart(("ride", "closed_hat", "crash"), (_EIGHTHS, "x...x...x...x..."))),
        lead_timbres=("lead_guitar",),
        scales=("harmonic_minor", "phrygian", "minor_pent"),
        lead_steps=(1, 1, 2, 4),
        neighbours=("rock",),
        drive=(4.0, 10.0), register=40, crash_every=4,
        presence=(1.0, 1.0, 0.9, 0.5), mix=(1.0, 1.0, 0.6, 0.6), lofi=0.02,
        master_drive=(0.5, 2.5),
    ),
    "pop": GenreRecipe(
        tempo=(88, 130),
        progressions=("I V vi IV", "vi IV I V", "I vi IV V", "IV I V vi"),
        comps=(Comp("x.......x.......", 1.0), Comp("x..x..x.x..x..x.", 0.7),
               Comp(_EIGHTHS, 0.7), Comp(_EIGHTHS, 2.0, arp=True)),
        timbres=("piano", "synth", "clean_guitar", "epiano", "acoustic"),
        basses=(Bass("x.......x.x.....", "R"), Bass(_EIGHTHS, "R"), Bass("x..x..x.x.......", "R5")),
        bass_timbres=("synth_bass", "finger_bass"),
        drums=(DrumPart(("kick",), ("x.......x.x.....", "x...x...x...x...", "x..x....x.......")),
               DrumPart(("snare", "clap"), ("....x.......x...",)),
               DrumPart(("closed_hat", "shaker"), (_EIGHTHS, _SIXTEENTHS), 0.8)),
        lead_timbres=("vox", "vox", "vox", "synth"),
        scales=("major_pent", "major"),
        lead_steps=(2, 2, 4, 4, 6),
        neighbours=("disco", "rock", "country", "hiphop"),
        presence=(1.0, 1.0, 1.0, 0.9), mix=(0.9, 0.7, 0.7, 1.0), lofi=0.02,
        master_drive=(0.3, 1.2),
    ),
    "reggae": GenreRecipe(
        tempo=(65, 100),
        progressions=("I IV", "i iv", "I V vi IV", "i bVII", "I IV V IV"),
        comps=(Comp("..x...x...x...x.", 0.25), Comp("....x.......x...", 0.3),
               Comp("..xx..xx..xx..xx", 0.3)),
        timbres=("clean_guitar", "organ", "piano"),
        basses=(Bass("x.....x.x.......", "R58"), Bass("x..x..x...x.x...", "R5R8"),
                Bass("x...x.x...x.x...", "R358")),
        bass_timbres=("finger_bass", "sub_bass"),
        drums=(DrumPart(("kick",), ("........x.......", "x...x...x...x...")),
               DrumPart(("rim", "snare"), ("........x.......", "....x.......x...")),
               DrumPart(("closed_hat",), ("..x...x...x...x.", _EIGHTHS, "x.xxx.xxx.xxx.xx"))),
        lead_timbres=("organ", "vox", "brass"),
        scales=("major_pent", "minor_pent", "dorian"),
        lead_steps=(2, 4, 4, 8),
        neighbours=("hiphop", "pop"),
        swing=(0.0, 0.35),
        presence=(1.0, 1.0, 1.0, 0.7), mix=(0.9, 0.7, 1.1, 0.5), lofi=0.08,
    ),
    "rock": GenreRecipe(
        tempo=(100, 160),
        progressions=("I5 IV5 V5 IV5", "I bVII IV I", "I V vi IV", "i5 bVI5 bVII5 i5", "I IV I V"),
        comps=(Comp(_EIGHTHS, 0.8), Comp("x.......x.......", 1.0), Comp("x..x..x.x..x..x.", 0.8)),
        timbres=("dist_guitar", "dist_guitar", "clean_guitar", "organ", "piano"),
        basses=(Bass(_EIGHTHS, "R"), Bass("x.....x.x.......", "R5"), Bass("x...x...x...x...", "R")),
        bass_timbres=("pick_bass", "finger_bass"),
        drums=(DrumPart(("kick",), ("x.....x.x.......", "x.......x.......", "x.x.....x.x.....")),
               _BACKBEAT,
               DrumPart(("closed_hat", "ride", "open_hat"), (_EIGHTHS, "x...x...x...x..."))),
        lead_timbres=("lead_guitar", "vox", "lead_guitar"),
        scales=("minor_pent", "blues", "major_pent"),
        lead_steps=(1, 2, 2, 4, 4),
        neighbours=("metal", "pop", "blues", "country"),
        drive=(0.0, 4.0), register=45, crash_every=4,
        presence=(1.0, 1.0, 1.0, 0.75), lofi=0.05, master_drive=(0.0, 1.5),
    ),
}
# fmt: on


# --------------------------------------------------------------------------- clip planning


@dataclass(frozen=True)
class _Grid:
    """Where the sixteenth-note steps of a clip fall in time."""

    sr: int
    n: int
    step: float
    start: float
    swing: float
    swing16: bool
    jitter: float

    @property
    def n_bars(self) -> int:
        return int(np.ceil((self.n / self.sr - self.start) / (STEPS * self.step))) + 1

    def seconds(self, steps: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Onset times (seconds) of absolute step numbers, with swing and timing jitter."""
        steps = np.asarray(steps, dtype=float)
        if self.swing16:
            late = (steps % 2 == 1) * self.swing / 3.0
        else:
            late = (steps % 4 == 2) * self.swing * 2.0 / 3.0
        t = self.start + (steps + late) * self.step
        return t + rng.normal(0.0, self.jitter, steps.shape)


def _choose(rng: np.random.Generator, options: Sequence[_T]) -> _T:
    """One of ``options``, uniformly."""
    return options[int(rng.integers(len(options)))]


def _borrow(recipe: GenreRecipe, rng: np.random.Generator) -> GenreRecipe:
    """Maybe swap one or two ingredients for a neighbouring genre's."""
    if rng.random() >= BORROW_PROB or not recipe.neighbours:
        return recipe
    donor = RECIPES[_choose(rng, recipe.neighbours)]
    names = rng.choice(BORROWABLE, size=int(rng.integers(1, 3)), replace=False)
    return replace(recipe, **{str(k): getattr(donor, str(k)) for k in names})


def _make_grid(recipe: GenreRecipe, n: int, sr: int, rng: np.random.Generator) -> _Grid:
    """Tempo, swing, timing looseness and where in a bar the clip starts."""
    tempo = rng.uniform(*recipe.tempo)
    step = 60.0 / tempo / 4.0
    return _Grid(
        sr=sr,
        n=n,
        step=step,
        start=-rng.uniform(0, STEPS * step),
        swing=rng.uniform(*recipe.swing),
        swing16=recipe.swing16,
        jitter=rng.uniform(0.0, 0.008),
    )


def _chord_per_bar(recipe: GenreRecipe, n_bars: int, rng: np.random.Generator) -> list[Chord]:
    """The chord of every bar: a progression, from a random position, one or two bars each."""
    symbols = _choose(rng, recipe.progressions).split()
    per = int(_choose(rng, recipe.bars_per_chord))
    first = int(rng.integers(len(symbols)))
    return [parse_chord(symbols[(first + bar // per) % len(symbols)]) for bar in range(n_bars)]


def _hits(pattern: str, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Steps and velocities of one bar of a pattern."""
    vel = np.array([_VELOCITY.get(c, 0.0) for c in pattern])
    maybe = np.array([c == "?" for c in pattern])
    vel[maybe & (rng.random(len(pattern)) < 0.35)] = 0.45
    steps = np.flatnonzero(vel)
    return steps, vel[steps] * rng.uniform(0.8, 1.0, steps.size)


# --------------------------------------------------------------------------- synthesis helpers


def _add(buf: np.ndarray, at: int, x: np.ndarray) -> None:
    """Mix ``x`` into ``buf`` starting at sample ``at`` (clipped to the buffer)."""
    if at < 0:
        x, at = x[-at:], 0
    end = min(at + x.size, buf.size)
    if end > at:
        buf[at:end] += x[: end - at]


def _filtered_noise(
    n: int, sr: int, rng: np.random.Generator, low: float | None = None, high: float | None = None
) -> np.ndarray:
    """White noise, high-passed at ``low`` and/or low-passed at ``high`` Hz."""
    x = rng.standard_normal(n)
    if low is None and high is None:
        return x
    return signal.sosfilt(_butter(sr, low, high), x)


@lru_cache(maxsize=256)
def _butter(sr: int, low: float | None, high: float | None) -> np.ndarray:
    """Second-order Butterworth sections: band-, high- or low-pass, kept below Nyquist."""
    nyq = 0.45 * sr
    if low is not None and high is not None:
        return signal.butter(
            2, [min(low, 0.9 * nyq), min(high, nyq)], "bandpass", fs=sr, output="sos"
        )
    if low is not None:
        return signal.butter(2, min(low, nyq), "highpass", fs=sr, output="sos")
    return signal.butter(2, min(high, nyq), "lowpass", fs=sr, output="sos")


def _decay(n: int, sr: int, tau: float) -> np.ndarray:
    """``exp(-t / tau)`` over ``n`` samples, float32."""
    return np.exp(np.arange(n, dtype=np.float32) * np.float32(-1.0 / (sr * tau)))


def _envelope(n_hold: int, n_total: int, timbre: Timbre, sr: int) -> np.ndarray:
    """ADSR amplitude envelope: hold for ``n_hold`` samples, release until ``n_total``."""
    n_attack = min(max(int(timbre.attack * sr), 1), n_total)
    env = np.ones(n_total, dtype=np.float32)
    env[n_attack:] = _decay(n_total - n_attack, sr, timbre.decay)
    env[n_attack:] *= 1.0 - timbre.sustain
    env[n_attack:] += timbre.sustain
    env[:n_attack] = np.linspace(0.0, 1.0, n_attack, endpoint=False)
    tail = n_total - n_hold
    if tail > 0:
        env[n_hold:] *= np.linspace(1.0, 0.0, tail, dtype=np.float32)
    return env


@lru_cache(maxsize=2048)
def _wavetables(
    timbre: Timbre, bright: float, n_harm: int, vowel: int, freq: float
) -> tuple[np.ndarray, np.ndarray]:
    """Bright and dark (damped) wavetables of a note with ``n_harm`` harmonics.

    ``vowel`` indexes :data:`_VOWELS` for a timbre with formants (``freq`` is then the
    note's frequency); otherwise both are ignored, and callers pass ``-1`` and ``0.0``.
    """
    k = np.arange(1, n_harm + 1, dtype=float)
    amps = k ** -(timbre.slope / bright)
    amps[1::2] *= timbre.even
    if vowel >= 0:
        for f0 in _VOWELS[vowel]:
            amps *= 1.0 + 6.0 * np.exp(-0.5 * ((k * freq - f0) / (0.12 * f0)) ** 2)
    return _wavetable(amps), _wavetable(amps / k**2)


def _wavetable(amps: np.ndarray) -> np.ndarray:
    """One period of a waveform with the given harmonic amplitudes, peak 1."""
    spec = np.zeros(_TABLE_SIZE // 2 + 1, dtype=complex)
    spec[1 : amps.size + 1] = -1j * amps
    table = np.fft.irfft(spec, n=_TABLE_SIZE)
    return (table / max(np.abs(table).max(), 1e-12)).astype(np.float32)


def _phase(freq: float, n: int, sr: int, timbre: Timbre, rng: np.random.Generator) -> np.ndarray:
    """Phase in cycles of a note, with delayed vibrato when the timbre has some."""
    if timbre.vibrato <= 0.0:
        return rng.random() + np.arange(n) * (freq / sr)
    t = np.arange(n) / sr
    depth = timbre.vibrato / 1200.0 * np.log(2.0) * np.minimum(t / 0.3, 1.0)
    inst = freq * (1.0 + depth * np.sin(2 * np.pi * rng.uniform(4.5, 6.5) * t))
    return rng.random() + np.cumsum(inst) / sr


def _table_index(phase: np.ndarray) -> np.ndarray:
    """Wavetable positions of a phase in cycles (the table size is a power of two)."""
    return (phase * _TABLE_SIZE).astype(np.int64) & (_TABLE_SIZE - 1)


def _note(
    midi: float, seconds: float, timbre: Timbre, bright: float, sr: int, rng: np.random.Generator
) -> np.ndarray:
    """Render one note: wavetable oscillator(s), pluck damping, envelope, attack noise."""
    freq = _hz(midi)
    n_hold = max(int(seconds * sr), 16)
    n = n_hold + int(timbre.release * sr)
    n_harm = max(min(timbre.n_harm, int(0.45 * sr / freq)), 1)
    if timbre.formants:
        table, dark = _wavetables(timbre, bright, n_harm, int(rng.integers(len(_VOWELS))), freq)
    else:
        table, dark = _wavetables(timbre, bright, n_harm, -1, 0.0)
    phase = _phase(freq, n, sr, timbre, rng)
    index = _table_index(phase)
    y = table[index]
    if timbre.pluck > 0.0:
        low = dark[index]
        y = low + _decay(n, sr, timbre.pluck) * (y - low)
    if timbre.detune > 0.0:
        y = 0.5 * (y + table[_table_index(phase * 2.0 ** (timbre.detune / 1200.0))])
    y *= _envelope(n_hold, n, timbre, sr)
    if timbre.noise > 0.0:
        m = min(n, int(0.03 * sr))
        y[:m] += timbre.noise * _decay(m, sr, 0.008) * _filtered_noise(m, sr, rng, low=1000.0)
    return y


@dataclass(frozen=True)
class _Player:
    """One instrument of a clip: a timbre at a brightness, playing into a buffer."""

    timbre: Timbre
    bright: float
    sr: int

    def play(
        self,
        out: np.ndarray,
        onset: float,
        midi: float,
        seconds: float,
        gain: float,
        rng: np.random.Generator,
    ) -> None:
        """Mix a note starting at ``onset`` seconds; notes past the end are skipped."""
        at = int(onset * self.sr)
        if at >= out.size:
            return
        seconds = min(seconds, (out.size - at) / self.sr)
        _add(out, at, gain * _note(midi, seconds, self.timbre, self.bright, self.sr, rng))


def _player(names: Sequence[str], sr: int, rng: np.random.Generator) -> _Player:
    """Pick an instrument and a brightness for it."""
    return _Player(TIMBRES[_choose(rng, names)], rng.uniform(0.8, 1.25), sr)


# --------------------------------------------------------------------------- drums


def _kick(sr: int, rng: np.random.Generator, tau: float | None = None) -> np.ndarray:
    tau = rng.uniform(0.08, 0.25) if tau is None else tau
    n = int(min(6 * tau, 1.2) * sr)
    t = np.arange(n) / sr
    f_end, f_start = rng.uniform(40, 65), rng.uniform(110, 200)
    freq = f_end + (f_start - f_end) * np.exp(-t / rng.uniform(0.02, 0.06))
    body = np.sin(2 * np.pi * np.cumsum(freq) / sr) * np.exp(-t / tau)
    return body + rng.uniform(0.1, 0.5) * rng.standard_normal(n) * np.exp(-t / 0.003)


def _kick808(sr: int, rng: np.random.Generator) -> np.ndarray:
    return np.tanh(1.5 * _kick(sr, rng, tau=rng.uniform(0.3, 0.6)))


def _snare(sr: int, rng: np.random.Generator) -> np.ndarray:
    n = int(0.35 * sr)
    t = np.arange(n) / sr
    tone = np.sin(2 * np.pi * rng.uniform(150, 250) * t) * np.exp(-t / 0.04)
    rattle = _filtered_noise(n, sr, rng, 1500.0, 8000.0) * np.exp(-t / rng.uniform(0.06, 0.2))
    return rng.uniform(0.3, 0.8) * tone + 2.0 * rattle


def _clap(sr: int, rng: np.random.Generator) -> np.ndarray:
    n = int(0.3 * sr)
    t = np.arange(n) / sr
    bursts = sum(np.exp(-np.maximum(t - d, 0) / 0.006) * (t >= d) for d in (0, 0.011, 0.022))
    env = bursts + 0.6 * (t >= 0.03) * np.exp(-np.maximum(t - 0.03, 0) / rng.uniform(0.05, 0.15))
    return 2.0 * _filtered_noise(n, sr, rng, 800.0, 3500.0) * env


def _rim(sr: int, rng: np.random.Generator) -> np.ndarray:
    n = int(0.08 * sr)
    t = np.arange(n) / sr
    click = np.sin(2 * np.pi * rng.uniform(1500, 2300) * t) * np.exp(-t / 0.012)
    return click + 0.5 * _filtered_noise(n, sr, rng, 2000.0, 6000.0) * np.exp(-t / 0.005)


def _brush(sr: int, rng: np.random.Generator) -> np.ndarray:
    n = int(0.3 * sr)
    t = np.arange(n) / sr
    env = np.minimum(t / 0.02, 1.0) * np.exp(-t / rng.uniform(0.08, 0.18))
    return 0.8 * _filtered_noise(n, sr, rng, 1000.0, 6000.0) * env


def _cymbal(
    sr: int, rng: np.random.Generator, tau: float, low: float, metal: float = 0.0
) -> np.ndarray:
    n = int(min(5 * tau, 2.0) * sr)
    t = np.arange(n) / sr
    y = _filtered_noise(n, sr, rng, low=low)
    if metal > 0.0:
        ratios = np.array([1.0, 1.342, 1.547, 1.813, 2.174, 2.521])
        freqs = np.minimum(rng.uniform(2500, 4000) * ratios, 0.45 * sr)
        y = y + metal * np.sin(2 * np.pi * np.outer(t, freqs)).sum(axis=1) / len(freqs)
    return y * np.exp(-t / tau)


_DRUM_VOICES = {
    "kick": _kick,
    "kick808": _kick808,
    "snare": _snare,
    "clap": _clap,
    "rim": _rim,
    "brush": _brush,
    "closed_hat": lambda sr, rng: _cymbal(sr, rng, rng.uniform(0.015, 0.05), 7000.0),
    "open_hat": lambda sr, rng: _cymbal(sr, rng, rng.uniform(0.12, 0.3), 6000.0),
    "shaker": lambda sr, rng: _cymbal(sr, rng, rng.uniform(0.03, 0.06), 4000.0) * 0.7,
    "ride": lambda sr, rng: _cymbal(sr, rng, rng.uniform(0.3, 0.6), 4000.0, metal=0.8),
    "crash": lambda sr, rng: _cymbal(sr, rng, rng.uniform(0.6, 1.2), 3000.0, metal=0.3),
}


def _drum_hits(
    part_pattern: str, grid: _Grid, rng: np.random.Generator, fills: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Absolute step numbers and velocities of a part over the whole clip."""
    steps, vels = [], []
    for bar in range(grid.n_bars):
        pattern = part_pattern
        if fills and bar % 4 == 3 and rng.random() < 0.5:
            pattern = pattern[:12] + "xxxx"
        s, v = _hits(pattern, rng)
        steps.append(s + bar * STEPS)
        vels.append(v)
    return np.concatenate(steps), np.concatenate(vels)


def _place(
    out: np.ndarray, sound: np.ndarray, times: np.ndarray, vels: np.ndarray, sr: int
) -> None:
    """Mix a drum sound into ``out`` at each onset time (seconds) with its velocity."""
    for t, v in zip(times, vels, strict=True):
        _add(out, int(round(t * sr)), v * sound)


def _drum_layer(recipe: GenreRecipe, grid: _Grid, n: int, rng: np.random.Generator) -> np.ndarray:
    """All drum parts: one synthesised sound per part, placed at its (swung, jittered) hits."""
    out = np.zeros(n, dtype=np.float32)
    for part in recipe.drums:
        if rng.random() >= part.prob:
            continue
        voice = _choose(rng, part.voices)
        steps, vels = _drum_hits(
            _choose(rng, part.patterns), grid, rng, fills=voice in ("snare", "clap")
        )
        _place(out, _DRUM_VOICES[voice](grid.sr, rng), grid.seconds(steps, rng), vels, grid.sr)
    if recipe.crash_every and rng.random() < 0.8:
        steps = np.arange(0, grid.n_bars, recipe.crash_every) * STEPS
        crash = 0.7 * _DRUM_VOICES["crash"](grid.sr, rng)
        _place(out, crash, grid.seconds(steps, rng), np.ones(steps.size), grid.sr)
    return out


# --------------------------------------------------------------------------- pitched parts


def _voicing(key: int, chord: Chord, register: int, rng: np.random.Generator) -> list[int]:
    """MIDI notes of a chord near ``register``, in a random inversion."""
    root, intervals = chord
    base = register + (key + root) % 12
    notes = sorted(base + i for i in intervals)
    for i in range(int(rng.integers(0, min(3, len(notes))))):
        notes[i] += 12
    return sorted(notes)


def _gaps(steps: np.ndarray) -> np.ndarray:
    """Steps from each hit to the next one, wrapping round the bar."""
    return (np.diff(steps, append=steps[0] + STEPS) - 1) % STEPS + 1


def _comp_layer(
    recipe: GenreRecipe,
    grid: _Grid,
    chords: list[Chord],
    key: int,
    n: int,
    rng: np.random.Generator,
) -> tuple[np.ndarray, float]:
    """Chord instrument playing the progression in a comping rhythm; returns (audio, drive)."""
    comp = _choose(rng, recipe.comps)
    player = _player(recipe.timbres, grid.sr, rng)
    out = np.zeros(n, dtype=np.float32)
    arp_index = 0
    for bar, chord in enumerate(chords):
        notes = _voicing(key, chord, recipe.register, rng)
        steps, vels = _hits(comp.pattern, rng)
        if steps.size == 0:
            continue
        onsets = grid.seconds(steps + bar * STEPS, rng)
        for onset, vel, gap in zip(onsets, vels, _gaps(steps), strict=True):
            length = gap * grid.step * comp.legato
            if comp.arp:
                played = [notes[arp_index % len(notes)] + 12 * (arp_index // len(notes) % 2)]
                arp_index += 1
            else:
                played = notes if rng.random() < 0.5 else notes[::-1]
            for i, midi in enumerate(played):
                player.play(out, onset + i * player.timbre.strum, midi, length, vel, rng)
    drive = max(rng.uniform(*recipe.drive), player.timbre.drive)
    return out, drive


def _bass_degree(
    token: str,
    chord: Chord,
    next_root: int,
    last: bool,
    rng: np.random.Generator,
) -> int:
    """Semitones above the key for one bass hit."""
    root, intervals = chord
    third = intervals[1] if intervals[1] in (3, 4) else 4
    fixed = {"R": 0, "3": third, "5": 7, "6": 9, "7": 10, "8": 12}
    if token in fixed:
        return root + fixed[token]
    if last:
        return next_root + _choose(rng, (-1, 1, 7))
    return root + _choose(rng, (*intervals[:4], 2, 5, 9))


def _bass_layer(
    recipe: GenreRecipe,
    grid: _Grid,
    chords: list[Chord],
    key: int,
    n: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Bass line following the chords' roots in a genre rhythm."""
    bass = _choose(rng, recipe.basses)
    player = _player(recipe.bass_timbres, grid.sr, rng)
    low = 28 + key % 12
    out = np.zeros(n, dtype=np.float32)
    for bar, chord in enumerate(chords):
        next_root = chords[min(bar + 1, len(chords) - 1)][0]
        steps, vels = _hits(bass.pattern, rng)
        onsets = grid.seconds(steps + bar * STEPS, rng)
        for i, (onset, vel, gap) in enumerate(zip(onsets, vels, _gaps(steps), strict=True)):
            token = bass.notes[i % len(bass.notes)]
            degree = _bass_degree(token, chord, next_root, i == steps.size - 1, rng)
            midi = low + degree % 24
            midi -= 12 * (midi > 52)
            player.play(out, onset, midi, gap * grid.step * bass.legato, vel, rng)
    return out


def _lead_layer(
    recipe: GenreRecipe, grid: _Grid, key: int, n: int, rng: np.random.Generator
) -> tuple[np.ndarray, float]:
    """A random-walk melody on a genre scale; returns (audio, drive)."""
    player = _player(recipe.lead_timbres, grid.sr, rng)
    scale = _SCALES[_choose(rng, recipe.scales)]
    pitches = [60 + key % 12 + 12 * octave + s for octave in range(3) for s in scale]
    low = int(rng.integers(0, len(pitches) - recipe.lead_span + 1))
    pitches = pitches[low : low + recipe.lead_span]
    rest = rng.uniform(0.1, 0.4)
    out = np.zeros(n, dtype=np.float32)
    index, step = len(pitches) // 2, 0
    while step < grid.n_bars * STEPS:
        length = int(_choose(rng, recipe.lead_steps))
        if rng.random() >= rest:
            index = int(np.clip(index + rng.integers(-2, 3), 0, len(pitches) - 1))
            onset = grid.seconds(np.array([step]), rng)[0]
            gain = rng.uniform(0.7, 1.0)
            player.play(out, onset, pitches[index], length * grid.step * 0.9, gain, rng)
        step += length
    return out, player.timbre.drive


# --------------------------------------------------------------------------- mixing


def _distort(y: np.ndarray, drive: float) -> np.ndarray:
    """tanh saturation of a peak-normalised signal (``drive`` 0: unchanged)."""
    if drive <= 0.0 or not y.any():
        return y
    return np.tanh(drive * y / np.abs(y).max())


def _unit_rms(y: np.ndarray) -> np.ndarray:
    """Scale to unit RMS, so mix gains are relative loudnesses (silence stays silent)."""
    rms = np.sqrt(np.dot(y, y) / max(y.size, 1))
    return y / rms if rms > 0 else y


def _lofi(y: np.ndarray, sr: int, rng: np.random.Generator) -> np.ndarray:
    """Old-recording treatment: band-limited, crackly and hissy."""
    sos = signal.butter(
        2,
        [rng.uniform(80, 250), min(rng.uniform(3500, 7000), 0.45 * sr)],
        "bandpass",
        fs=sr,
        output="sos",
    )
    y = signal.sosfilt(sos, y)
    crackle = (rng.random(y.size) < rng.uniform(5, 40) / sr) * rng.standard_normal(y.size)
    return y + np.std(y) * (3.0 * crackle + rng.uniform(0.02, 0.1) * rng.standard_normal(y.size))


def _master(y: np.ndarray, recipe: GenreRecipe, sr: int, rng: np.random.Generator) -> np.ndarray:
    """Noise floor, recording quality, bus compression and peak normalisation."""
    y = y + np.std(y) * rng.uniform(0.002, 0.05) * rng.standard_normal(y.size)
    if rng.random() < recipe.lofi:
        y = _lofi(y, sr, rng)
    else:
        cutoff = rng.uniform(*recipe.cutoff)
        if cutoff < 0.45 * sr:
            y = signal.sosfilt(signal.butter(2, cutoff, fs=sr, output="sos"), y)
    y = _distort(y, rng.uniform(*recipe.master_drive))
    peak = np.abs(y).max()
    return y * (rng.uniform(0.6, 0.9) / peak) if peak > 0 else y


def _presence(recipe: GenreRecipe, rng: np.random.Generator) -> np.ndarray:
    """Which of drums, chords, bass and lead play in this clip."""
    present = rng.random(4) < np.asarray(recipe.presence)
    if not recipe.drums:
        present[0] = False
    if not (present[0] or present[1]):
        present[1] = True
    return present


def synthesize_clip(genre: str, seconds: float, sr: int, rng: np.random.Generator) -> np.ndarray:
    """Render one random clip of a genre.

    Parameters
    ----------
    genre : str
        One of :data:`~genriflow.datasets.gtzan.GTZAN_GENRES`.
    seconds : float
        Clip length in seconds.
    sr : int
        Sample rate in Hz.
    rng : numpy.random.Generator
        Source of all randomness; the same generator state gives the same clip.

    Returns
    -------
    np.ndarray, shape (round(seconds * sr),), float32
        Mono waveform, peak-normalised to at most 0.9.

    Raises
    ------
    ValueError
        For an unknown genre or a non-positive length.
    """
    if genre not in RECIPES:
        raise ValueError(f"unknown genre {genre!r}; expected one of {', '.join(RECIPES)}")
    n = int(round(seconds * sr))
    if n <= 0:
        raise ValueError(f"clip length must be positive, got {seconds} s")
    recipe = _borrow(RECIPES[genre], rng)
    grid = _make_grid(recipe, n, sr, rng)
    key = int(rng.integers(12))
    chords = _chord_per_bar(recipe, grid.n_bars, rng)
    present = _presence(recipe, rng)
    gains = np.asarray(recipe.mix) * rng.uniform(0.75, 1.25, 4)
    mix = np.zeros(n)
    if present[0]:
        mix += gains[0] * _unit_rms(_drum_layer(recipe, grid, n, rng))
    if present[1]:
        mix += gains[1] * _unit_rms(_distort(*_comp_layer(recipe, grid, chords, key, n, rng)))
    if present[2]:
        mix += gains[2] * _unit_rms(_bass_layer(recipe, grid, chords, key, n, rng))
    if present[3]:
        mix += gains[3] * _unit_rms(_distort(*_lead_layer(recipe, grid, key, n, rng)))
    return _master(mix, recipe, sr, rng).astype(np.float32)


# --------------------------------------------------------------------------- corpus


def clip_rng(seed: int, genre_index: int, clip_index: int) -> np.random.Generator:
    """The generator of one clip, independent of how many clips the corpus has."""
    return np.random.default_rng(np.random.SeedSequence([seed, genre_index, clip_index]))


def _write(path: Path, y: np.ndarray, sr: int, ext: str) -> None:
    """Write one clip in the container named by ``ext`` (see :data:`FORMATS`)."""
    fmt, subtype = FORMATS[ext]
    # In blocks: libsndfile's Vorbis encoder crashes on single writes of several minutes.
    block = 10 * sr
    with sf.SoundFile(str(path), "w", sr, 1, format=fmt, subtype=subtype) as f:
        for start in range(0, y.size, block):
            f.write(y[start:start + block])


def clip_name(genre: str, index: int, ext: str) -> str:
    """File name of a demo clip, e.g. ``synth-jazz.00003.flac``.

    The ``synth-`` prefix keeps the names from being taken for GTZAN clips (``jazz.00003``),
    which would make ``--split auto`` choose the GTZAN fault-filtered split.
    """
    return f"synth-{genre}.{index:05d}.{ext}"


def make_demo_corpus(
    out_dir: str | Path,
    per_genre: int = 20,
    seconds: float = 10.0,
    seed: int = 0,
    sr: int = 22050,
    formats: Sequence[str] = ("wav", "flac", "ogg", "mp3", "au"),
) -> list[Path]:
    """Write a labelled synthetic corpus in GTZAN's layout, with a manifest.

    Files are ``out_dir/<genre>/synth-<genre>.00000.<ext>``, ...; clip ``i`` of each genre
    uses the container ``formats[i % len(formats)]`` so every decoder gets exercised.
    ``manifest.csv`` (columns ``path,label``, paths relative to ``out_dir``) lists them all.
    Clip ``i`` of a genre is the same audio whatever ``per_genre`` is.

    Parameters
    ----------
    out_dir : str or Path
        Folder to write into (created if needed).
    per_genre : int
        Clips per genre.
    seconds : float
        Length of every clip.
    seed : int
        Corpus seed; each clip's generator comes from ``(seed, genre index, clip index)``.
    sr : int
        Sample rate in Hz.
    formats : sequence of str
        Containers to rotate through, from :data:`FORMATS`.

    Returns
    -------
    list of Path
        The written audio files, genre by genre.

    Raises
    ------
    ValueError
        For an unknown format, an empty format list or a negative ``per_genre``.
    """
    formats = [f.lower().lstrip(".") for f in formats]
    unknown = sorted(set(formats) - set(FORMATS))
    if unknown or not formats:
        named = ", ".join(unknown) if unknown else "none given"
        raise ValueError(f"unsupported format(s): {named}; choose from {', '.join(FORMATS)}")
    if per_genre < 0:
        raise ValueError(f"per_genre must be >= 0, got {per_genre}")
    out_dir = Path(out_dir)
    written: list[Path] = []
    for g, genre in enumerate(GTZAN_GENRES):
        (out_dir / genre).mkdir(parents=True, exist_ok=True)
        for i in range(per_genre):
            ext = formats[i % len(formats)]
            path = out_dir / genre / clip_name(genre, i, ext)
            _write(path, synthesize_clip(genre, seconds, sr, clip_rng(seed, g, i)), sr, ext)
            written.append(path)
    _write_manifest(out_dir, written)
    return written


def _write_manifest(out_dir: Path, paths: Sequence[Path]) -> None:
    """``out_dir/manifest.csv``: one ``path,label`` row per clip, paths relative and POSIX."""
    with open(out_dir / "manifest.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["path", "label"])
        for path in paths:
            writer.writerow([path.relative_to(out_dir).as_posix(), path.parent.name])
