"""The instruments: each a timbre (harmonic spectrum, envelope, playing style) as data."""

from __future__ import annotations

from dataclasses import dataclass


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
