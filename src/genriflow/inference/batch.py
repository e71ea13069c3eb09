"""The one shape of a batch's answer: a list of the songs' results, carrying the failures.

Every song-answering function follows one rule (:mod:`genriflow.api`): one input (a file
or a waveform) gives one result, and several (a list of paths or a folder) give a
:class:`Batch` of results in input order, with ``errors``, one per file that could not be
used: a bad file never stops the others.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Generic, TypeVar, overload

from genriflow.audio import AudioError
from genriflow.reprs import first

T = TypeVar("T")


class Batch(Sequence[T], Generic[T]):
    """The results of a batch, in input order (a sequence), and ``errors``.

    Parameters
    ----------
    results : iterable
        One per song that could be used.
    errors : iterable of AudioError
        One per file that could not, with the reason.

    Examples
    --------
    >>> batch = Batch(["a", "b"], [])
    >>> len(batch), batch[0], list(batch), batch.errors
    (2, 'a', ['a', 'b'], [])

    A folder's batch is shown by its first results and how many more (a notebook would
    otherwise print every song):

    >>> Batch([f"song-{i}" for i in range(1000)])
    Batch(['song-0', 'song-1', 'song-2', ... 997 more], errors=[])
    """

    def __init__(self, results: Iterable[T] = (), errors: Iterable[AudioError] = ()) -> None:
        self.results: list[T] = list(results)
        self.errors: list[AudioError] = list(errors)

    @overload
    def __getitem__(self, index: int) -> T: ...

    @overload
    def __getitem__(self, index: slice) -> list[T]: ...

    def __getitem__(self, index: int | slice) -> T | list[T]:
        return self.results[index]

    def __len__(self) -> int:
        return len(self.results)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Batch):
            return self.results == other.results and self.errors == other.errors
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({first(self.results)}, errors={first(self.errors)})"

