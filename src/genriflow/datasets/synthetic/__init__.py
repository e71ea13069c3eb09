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

Each name is imported on first use, so that :func:`make_demo_corpus` refuses a bad option
(``genriflow demo-data --per-genre 0``) before NumPy or soundfile load.
"""
# ruff: noqa: F401 (the TYPE_CHECKING imports below only name what lazy_loader serves)

from __future__ import annotations

from typing import TYPE_CHECKING

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach(__name__, submod_attrs={
    "arrange": ["synthesize_clip"],
    "corpus": ["FORMATS", "check_corpus", "clip_name", "clip_rng", "make_demo_corpus"],
    "instruments": ["TIMBRES", "Timbre"],
    "recipes": ["BORROW_PROB", "BORROWABLE", "RECIPES", "Bass", "Comp", "DrumPart",
                "GenreRecipe"],
    "theory": ["STEPS", "Chord", "parse_chord"],
})

if TYPE_CHECKING:  # for type checkers and editors: the names lazy_loader serves
    from genriflow.datasets.synthetic.arrange import synthesize_clip
    from genriflow.datasets.synthetic.corpus import (
        FORMATS,
        check_corpus,
        clip_name,
        clip_rng,
        make_demo_corpus,
    )
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
