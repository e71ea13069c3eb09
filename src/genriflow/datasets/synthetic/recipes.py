"""The genres as data: one recipe each of tempo, harmony, rhythm, instruments and sound.

A recipe names instruments (:data:`~genriflow.datasets.synthetic.instruments.TIMBRES`),
drum voices (:data:`~genriflow.datasets.synthetic.drums.DRUM_VOICES`) and scales
(:data:`~genriflow.datasets.synthetic.theory.SCALES`) by key and writes chords as Roman
numerals and rhythms as 16-step patterns, so changing a genre never touches the synthesis.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Probability that a clip borrows ingredients from a neighbouring genre.
BORROW_PROB = 0.1


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
