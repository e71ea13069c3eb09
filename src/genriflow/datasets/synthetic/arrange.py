"""Arranging a clip: a recipe's drums, chords, bass and lead placed on a swung grid.

This is where the music (:mod:`~genriflow.datasets.synthetic.recipes`) meets the signal
processing (:mod:`~genriflow.datasets.synthetic.dsp`, :mod:`~genriflow.datasets.synthetic.drums`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TypeVar

import numpy as np

from genriflow.datasets.synthetic.drums import DRUM_VOICES
from genriflow.datasets.synthetic.dsp import distort, master, mix_into, note, unit_rms
from genriflow.datasets.synthetic.instruments import TIMBRES, Timbre
from genriflow.datasets.synthetic.recipes import BORROW_PROB, BORROWABLE, RECIPES, GenreRecipe
from genriflow.datasets.synthetic.theory import SCALES, STEPS, Chord, parse_chord
from genriflow.errors import ConfigError, at_least, one_of

_T = TypeVar("_T")

#: Pattern character -> velocity of the hit.
_VELOCITY = {"X": 1.0, "x": 0.75, "o": 0.4}


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
        mix_into(out, at, gain * note(midi, seconds, self.timbre, self.bright, self.sr, rng))


def _player(names: Sequence[str], sr: int, rng: np.random.Generator) -> _Player:
    """Pick an instrument and a brightness for it."""
    return _Player(TIMBRES[_choose(rng, names)], rng.uniform(0.8, 1.25), sr)


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
        mix_into(out, int(round(t * sr)), v * sound)


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
        _place(out, DRUM_VOICES[voice](grid.sr, rng), grid.seconds(steps, rng), vels, grid.sr)
    if recipe.crash_every and rng.random() < 0.8:
        steps = np.arange(0, grid.n_bars, recipe.crash_every) * STEPS
        crash = 0.7 * DRUM_VOICES["crash"](grid.sr, rng)
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
    scale = SCALES[_choose(rng, recipe.scales)]
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
    ConfigError
        For an unknown genre, a rate below 1 Hz or a length under one sample.
    """
    one_of("genre", genre, RECIPES)
    at_least("sr", sr, 1)
    n = int(round(seconds * sr))
    if n <= 0:
        raise ConfigError("seconds", f"must give at least one sample; got {seconds!r}")
    recipe = _borrow(RECIPES[genre], rng)
    grid = _make_grid(recipe, n, sr, rng)
    key = int(rng.integers(12))
    chords = _chord_per_bar(recipe, grid.n_bars, rng)
    present = _presence(recipe, rng)
    gains = np.asarray(recipe.mix) * rng.uniform(0.75, 1.25, 4)
    mix = np.zeros(n)
    if present[0]:
        mix += gains[0] * unit_rms(_drum_layer(recipe, grid, n, rng))
    if present[1]:
        mix += gains[1] * unit_rms(distort(*_comp_layer(recipe, grid, chords, key, n, rng)))
    if present[2]:
        mix += gains[2] * unit_rms(_bass_layer(recipe, grid, chords, key, n, rng))
    if present[3]:
        mix += gains[3] * unit_rms(distort(*_lead_layer(recipe, grid, key, n, rng)))
    mastered = master(mix, sr, rng, lofi=recipe.lofi, cutoff=recipe.cutoff,
                       drive=recipe.master_drive)
    return mastered.astype(np.float32)
