"""Which parts of a song are analysed: a plan of windows, from a few excerpts to all of it.

A song is analysed window by window, and every feature set says what its window is:

* the pretrained networks' sets (``musicnn``, ``musicnn-tags``, ``msd-musicnn``, the VGGs)
  take the networks' own input, a patch of :data:`~genriflow.features.embeddings.PATCH_SECONDS`
  (3 s); patches lie on one grid from the song's start, as the original musicnn cuts them;
* every other set takes a clip of ``FeatureConfig.clip_seconds`` (30 s, as GTZAN's clips),
  or the whole file when it is at most 1.5 clips long or the set has no clip length.

:class:`Sampling` chooses among those windows. By default (``full=False``) a patch set
analyses ``excerpts`` patches spread evenly over the song (the patch in the middle of each
of ``excerpts`` equal parts) and a clip set analyses the clip in the middle of the song,
the clip its training took; ``full=True`` analyses every patch, or clips tiling the song.
Sampled and full analyses differ only in this plan: the same windows give the same numbers
and the same store entries, so a full analysis reuses a sampled one's patches.

By default the sampling is adaptive (:data:`DEFAULT_SAMPLING`): a network set analyses
``first`` of the ``excerpts`` excerpts, spread over them, then more, ``first`` at a time,
only while the answer is still open. With a genre model (``Sampling.on_genres``, which the
inference pipeline sets to its model's: :class:`GenreMargin`) that is while the model's
top genre does not lead the second clearly (:func:`clear`); without one, while the running
mean of the set's settling values (``FeatureSet.settling``: the musicnn tags) is unsettled
(:func:`settled`). A clear song costs ``first`` excerpts, an ambiguous one all
``excerpts``. A song of at most
``excerpts`` patches (72 s by default) is analysed whole, as with a fixed count. The excerpts
analysed are always among the fixed plan's (:func:`stages`), so a fixed analysis of
``excerpts`` excerpts, before or after, reuses them.

>>> plan_windows(60.0, clip_seconds=30.0, patch_seconds=None, sampling=Sampling())
[Window(offset=15.0, seconds=30.0)]
>>> [w.offset for w in plan_windows(95.0, clip_seconds=30.0, patch_seconds=None,
...                                 sampling=Sampling(full=True))]
[0.0, 30.0, 60.0]
>>> [w.offset for w in plan_windows(30.0, clip_seconds=None, patch_seconds=3.0,
...                                 sampling=Sampling(excerpts=4))]
[3.0, 9.0, 18.0, 24.0]
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

from genriflow.errors import ConfigError, a_bool, at_least

if TYPE_CHECKING:  # naming a sampling (the command line) imports no numpy
    import numpy as np

#: Excerpts per song of a fixed sampling (``Sampling()``, ``--excerpts`` unset with a
#: fixed count asked for): on 38 real tracks the zero-shot top genre of 12 excerpts agreed
#: with the full analysis for 95 % of songs (8: 93 %, 6: 91 %).
DEFAULT_EXCERPTS = 12

#: The default adaptive sampling: excerpts analysed first, and added at a time while the
#: answer is open...
FIRST_EXCERPTS = 4
#: ... up to this many...
MOST_EXCERPTS = 24
#: ... until the model's top genre leads the second by at least this many standard errors
#: of that lead (:func:`clear`)...
MARGIN = 1.0
#: ... and by this many after the first stage alone, whose standard error rests on only
#: ``first`` excerpts. The four were chosen by ``benchmarks/stopping_rule.py`` on 390
#: Debian game-music tracks of 21 sources (the cheapest rule of its grid whose top genre
#: agreed with the whole song's on 95 % of them for both ``gtzan`` and ``library-genres``;
#: made without each source and tested on it, the choice agreed on 96.4 % and 96.2 % of
#: songs). On 116 fresh tracks of seven more packages it agreed on 93.1 % and 97.4 %, as
#: the rule with one margin did, and on 118 of 32 more on 95.8 % and 96.6 % (the
#: Benchmarks page).
FIRST_MARGIN = 1.5
#: Without a genre model, adaptive sampling stops once the standard error of the running
#: mean of the settling values (the 100 tag probabilities), averaged over them, is at most
#: this; chosen on Debian game-music tracks (see the Benchmarks page).
SETTLE = 0.006


@dataclass(frozen=True)
class GenreMargin:
    """A model's genres, for adaptive sampling's stopping rule (:func:`clear`).

    Attributes
    ----------
    model : str
        The model's name, as progress bars show it.
    stored : str
        The digest of the stored feature set whose windows the rule reads
        (``FeatureConfig.stored().digest()``); other sets settle by their own values.
    probabilities : callable
        ``probabilities(rows) -> (n_windows, n_genres)``: the model's genres of each
        window's stored analysis. It travels to worker processes, so it must pickle (a
        model's NumPy arrays, not a network). Not compared: two samplings on the same
        model name and set are equal.
    """

    model: str
    stored: str
    probabilities: Callable[[np.ndarray], np.ndarray] = field(compare=False, repr=False)

#: A gap (s) between two windows below which one decode reads both (cheaper than a seek).
MERGE_GAP = 1.0
#: Longest stretch (s) one decode reads when merging windows, bounding its memory.
MAX_RANGE_SECONDS = 60.0


@dataclass(frozen=True)
class Sampling:
    """How much of each song is analysed.

    Attributes
    ----------
    excerpts : int
        Patches analysed per song by the network sets, spread evenly over it (all of them
        in a song with fewer); with ``first``, the most analysed. Clip sets analyse the
        song's central clip.
    full : bool
        Analyse everything: every patch of the song, clips tiling it (``excerpts`` and
        ``first`` unused).
    first : int or None
        Adaptive sampling: analyse ``first`` of the ``excerpts`` excerpts, then ``first``
        more at a time while the analysis is unsettled (see :func:`settled`); ``None``:
        always ``excerpts``.
    settle : float
        With ``first`` and no ``on_genres``: settled once the standard error of the
        running mean of the settling values, averaged over them, is at most this (see
        :func:`settled`).
    margin : float
        With ``first`` and ``on_genres``: settled once the top genre leads the second by
        at least ``margin`` standard errors (see :func:`clear`).
    first_margin : float or None
        The same after the first stage alone (``None``: ``margin``).
    on_genres : GenreMargin or None
        The model whose genres decide when an adaptive sampling has seen enough; ``None``:
        the set's settling values do.

    Raises
    ------
    ConfigError
        For fewer than one excerpt, or a ``settle`` or margin that is negative.

    Examples
    --------
    >>> Sampling()  # doctest: +NORMALIZE_WHITESPACE
    Sampling(excerpts=12, full=False, first=None, settle=0.006, margin=1.0,
             first_margin=None, on_genres=None)
    >>> str(Sampling(excerpts=4)), str(Sampling(full=True)), str(DEFAULT_SAMPLING)
    ('4 excerpts', 'full', '4-24 excerpts (adaptive, settle 0.006)')
    >>> from dataclasses import replace
    >>> str(replace(DEFAULT_SAMPLING, on_genres=GenreMargin("gtzan", "d1g35t", len)))
    "4-24 excerpts (adaptive on gtzan's genres, margin 1.5 then 1)"
    >>> [DEFAULT_SAMPLING.margin_after(stage) for stage in (0, 1, 2)]
    [1.5, 1.0, 1.0]
    >>> Sampling.of(None, full=False) == DEFAULT_SAMPLING, Sampling.of(6, full=False).excerpts
    (True, 6)
    >>> Sampling.of(6, full=True)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    genriflow.errors.ConfigError: `excerpts` cannot be combined with full (which analyses ...
    """

    excerpts: int = DEFAULT_EXCERPTS
    full: bool = False
    first: int | None = None
    settle: float = SETTLE
    margin: float = MARGIN
    first_margin: float | None = None
    on_genres: GenreMargin | None = None

    def __post_init__(self) -> None:
        a_bool("full", self.full)
        at_least("excerpts", self.excerpts, 1, whole=True)
        at_least("first", self.first, 1, optional=True, whole=True)
        at_least("settle", self.settle, 0.0)
        at_least("margin", self.margin, 0.0)
        at_least("first_margin", self.first_margin, 0.0, optional=True)

    @classmethod
    def of(cls, excerpts: int | None, *, full: bool) -> Sampling:
        """The sampling the public options ask for: ``excerpts`` (a fixed count) or
        ``full``, not both; neither: :data:`DEFAULT_SAMPLING`, adaptive."""
        a_bool("full", full)
        if full and excerpts is not None:
            raise ConfigError("excerpts", "cannot be combined with full (which analyses "
                              "every excerpt)")
        if excerpts is None and not full:
            return DEFAULT_SAMPLING
        return cls(excerpts=DEFAULT_EXCERPTS if excerpts is None else excerpts, full=full)

    @property
    def adaptive(self) -> bool:
        """Whether the count of excerpts depends on the song."""
        return not self.full and self.first is not None and self.first < self.excerpts

    def margin_after(self, stage: int) -> float:
        """The margin the top genre's lead must clear after stage ``stage`` (0: the first)."""
        if stage == 0 and self.first_margin is not None:
            return self.first_margin
        return self.margin

    @property
    def margins(self) -> str:
        """The margins as people read them: ``1`` or ``1.5 then 1``."""
        if self.margin_after(0) == self.margin:
            return f"{self.margin:g}"
        return f"{self.margin_after(0):g} then {self.margin:g}"

    @property
    def label(self) -> str:
        """What a person is told is analysed: ``whole songs``, ``24 excerpts`` or, adaptive,
        ``4-24 excerpts`` (``str`` says it all, and names identities).

        >>> DEFAULT_SAMPLING.label, Sampling(excerpts=24).label, Sampling(full=True).label
        ('4-24 excerpts', '24 excerpts', 'whole songs')
        """
        if self.full:
            return "whole songs"
        first = f"{self.first}-" if self.adaptive else ""
        return f"{first}{self.excerpts} excerpts"

    def __str__(self) -> str:
        if self.full:
            return "full"
        if self.adaptive and self.on_genres is not None:
            return (f"{self.first}-{self.excerpts} excerpts (adaptive on "
                    f"{self.on_genres.model}'s genres, margin {self.margins})")
        if self.adaptive:
            return f"{self.first}-{self.excerpts} excerpts (adaptive, settle {self.settle:g})"
        return f"{self.excerpts} excerpts"


#: The default: :data:`FIRST_EXCERPTS` to :data:`MOST_EXCERPTS` excerpts of a network
#: set's song, as many as its analysis needs to settle; the central clip of a clip set's.
DEFAULT_SAMPLING = Sampling(excerpts=MOST_EXCERPTS, first=FIRST_EXCERPTS,
                            first_margin=FIRST_MARGIN)


class Window(NamedTuple):
    """A stretch of a song: start and length in seconds (``None``: to the end)."""

    offset: float
    seconds: float | None

    def end(self, duration: float) -> float:
        """Where the window ends in a song of ``duration`` seconds."""
        return duration if self.seconds is None else self.offset + self.seconds

    def key(self, content: str) -> str:
        """The window's feature-store key in a file of content hash ``content``."""
        return f"{content}@{self.offset:.3f}+{self.seconds or 'all'}"


WHOLE = Window(0.0, None)


def plan_windows(duration: float, *, clip_seconds: float | None,
                 patch_seconds: float | None, sampling: Sampling) -> list[Window]:
    """The windows to analyse in a song of ``duration`` seconds, in time order.

    Parameters
    ----------
    duration : float
        Seconds of audio (from the file's header).
    clip_seconds : float or None
        A clip set's clip length; ``None`` with ``patch_seconds`` or for whole-file sets.
    patch_seconds : float or None
        A network set's patch length; ``None`` for the other sets.
    sampling : Sampling

    Returns
    -------
    list of Window
        A song shorter than one patch, or at most 1.5 clips long, is one whole-file window.
    """
    if patch_seconds is not None:
        n = int(duration // patch_seconds)
        if n <= 1:
            return [WHOLE] if n == 0 else [Window(0.0, patch_seconds)]
        chosen = spread(n, None if sampling.full else sampling.excerpts)
        return [Window(i * patch_seconds, patch_seconds) for i in chosen]
    if clip_seconds is None or duration <= 1.5 * clip_seconds:
        return [WHOLE]
    if sampling.full:
        from genriflow.audio.windows import window_offsets  # numpy: not for the CLI's start

        return [Window(o, clip_seconds) for o in window_offsets(duration, clip_seconds)]
    return [Window((duration - clip_seconds) / 2, clip_seconds)]


def stages(windows: Sequence[Window], sampling: Sampling) -> list[list[Window]]:
    """The planned windows in the order an adaptive sampling analyses them, stage by stage:
    ``first`` of them spread evenly, then ``first`` more at a time, each stage spread
    over the windows still left; one stage when the sampling is not adaptive.

    >>> grid = [Window(float(i), 3.0) for i in range(12)]
    >>> [[int(w.offset) for w in stage] for stage in stages(grid, Sampling(first=4))]
    [[1, 4, 7, 10], [2, 5, 8, 11], [0, 3, 6, 9]]
    """
    if not sampling.adaptive or len(windows) <= (sampling.first or 0):
        return [list(windows)]
    left, out = list(windows), []
    while left:
        chosen = spread(len(left), sampling.first)
        out.append([left[i] for i in chosen])
        left = [w for i, w in enumerate(left) if i not in set(chosen)]
    return out


def settled(values: Sequence, total: int, settle: float) -> bool:
    """Whether the running mean of ``values`` (n_analysed, n_values), excerpts drawn from
    ``total`` planned ones, has settled: the standard error of each value's mean, with
    the finite-population correction (none left: zero), averaged over the values, is at
    most ``settle``. (The mean, not the largest: on real songs a few tags always vary
    from excerpt to excerpt, and the largest error kept nearly every song at 12
    excerpts without changing its genre.)

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> steady = 0.5 + 0.01 * rng.standard_normal((4, 3))
    >>> varied = rng.uniform(0, 1, (4, 3))
    >>> settled(steady, 12, 0.01), settled(varied, 12, 0.01), settled(varied, 4, 0.01)
    (True, False, True)
    """
    import numpy as np  # here: naming a sampling (the command line) imports no numpy

    n = len(values)
    if n >= total:
        return True
    if n < 2:
        return False
    spread_ = np.asarray(values, dtype=np.float64).std(axis=0, ddof=1)
    error = spread_ / np.sqrt(n) * np.sqrt((total - n) / (total - 1))
    return bool(error.mean() <= settle)


def clear(probabilities: np.ndarray, population: int, margin: float) -> bool:
    """Whether the top genre of the mean of ``probabilities`` (n_analysed, n_genres), the
    excerpts analysed of a song of ``population`` patches, leads the second clearly: the
    mean of each excerpt's lead (top minus second, both of the mean) is at least
    ``margin`` times its standard error, with the finite-population correction.

    Where the excerpts disagree the standard error is large and more are analysed; where
    they agree it is small; a near tie, whatever the excerpts, goes on to all of them.

    >>> import numpy as np
    >>> sure = np.array([[0.8, 0.1, 0.1], [0.7, 0.2, 0.1], [0.75, 0.15, 0.1], [0.9, 0.05, 0.05]])
    >>> torn = np.array([[0.8, 0.1, 0.1], [0.1, 0.8, 0.1], [0.7, 0.2, 0.1], [0.2, 0.7, 0.1]])
    >>> clear(sure, 100, 1.0), clear(torn, 100, 1.0), clear(torn, 4, 1.0)
    (True, False, True)
    """
    import numpy as np  # here: naming a sampling (the command line) imports no numpy

    values = np.asarray(probabilities, dtype=np.float64)
    n = len(values)
    if n >= population:
        return True
    if n < 2:
        return False
    second, top = np.argsort(values.mean(axis=0))[-2:]
    lead = values[:, top] - values[:, second]
    error = lead.std(ddof=1) / np.sqrt(n) * np.sqrt((population - n) / (population - 1))
    return bool(lead.mean() > margin * error)


def spread(n: int, k: int | None) -> list[int]:
    """``k`` of the indices ``0 .. n - 1`` spread evenly: the middle one of each of ``k``
    equal parts (all ``n`` when ``k`` is ``None`` or at least ``n``).

    >>> spread(10, 3), spread(4, None)
    ([1, 5, 8], [0, 1, 2, 3])
    """
    if k is None or k >= n:
        return list(range(n))
    return [int((j + 0.5) * n / k) for j in range(k)]


def decode_ranges(windows: Iterable[Window], duration: float, *,
                  max_gap: float = MERGE_GAP,
                  max_seconds: float = MAX_RANGE_SECONDS) -> list[tuple[Window, list[Window]]]:
    """Group windows into the stretches of the file to decode, each decoded once.

    Windows that overlap or lie less than ``max_gap`` apart share one decode, as long as it
    stays within ``max_seconds`` (a window is never split); a whole-file window makes one
    whole-file decode.

    Returns
    -------
    list of (Window, list of Window)
        Each stretch and the windows it serves, in time order.

    Examples
    --------
    >>> groups = decode_ranges([Window(0.0, 3.0), Window(3.0, 3.0), Window(50.0, 3.0)], 60.0)
    >>> [(r, len(ws)) for r, ws in groups]
    [(Window(offset=0.0, seconds=6.0), 2), (Window(offset=50.0, seconds=3.0), 1)]
    """
    groups: list[tuple[float, float, bool, list[Window]]] = []
    for window in sorted(set(windows), key=lambda w: (w.offset, w.end(duration))):
        start, end = window.offset, window.end(duration)
        if groups:
            first, last, open_ended, members = groups[-1]
            if (start <= last + max_gap
                    and (end <= last or max(end, last) - first <= max_seconds)):
                groups[-1] = (first, max(last, end), open_ended or window.seconds is None,
                              [*members, window])
                continue
        groups.append((start, end, window.seconds is None, [window]))
    return [(Window(first, None if open_ended else last - first), members)
            for first, last, open_ended, members in groups]
