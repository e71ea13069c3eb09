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

The music is data (:mod:`.theory`, :mod:`.instruments`, :mod:`.recipes`), the sound is
signal processing (:mod:`.dsp`, :mod:`.drums`), :mod:`.arrange` plays the one with the
other, and :mod:`.corpus` writes the clips to disk; each can change without the others.
"""

from genriflow.datasets.synthetic.arrange import synthesize_clip
from genriflow.datasets.synthetic.corpus import FORMATS, clip_name, clip_rng, make_demo_corpus
from genriflow.datasets.synthetic.instruments import TIMBRES, Timbre
from genriflow.datasets.synthetic.recipes import (
    BORROW_PROB,
    BORROWABLE,
    RECIPES,
    Bass,
    Comp,
    DrumPart,
    GenreRecipe,
)
from genriflow.datasets.synthetic.theory import STEPS, Chord, parse_chord

__all__ = [
    "BORROWABLE",
    "BORROW_PROB",
    "FORMATS",
    "RECIPES",
    "STEPS",
    "TIMBRES",
    "Bass",
    "Chord",
    "Comp",
    "DrumPart",
    "GenreRecipe",
    "Timbre",
    "clip_name",
    "clip_rng",
    "make_demo_corpus",
    "parse_chord",
    "synthesize_clip",
]
