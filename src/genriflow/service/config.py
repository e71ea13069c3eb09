"""The service's configuration: one frozen dataclass, printed (tokens withheld) at start-up."""

from __future__ import annotations

import json
import math
import os
from dataclasses import asdict, dataclass, field
from numbers import Real
from pathlib import Path

from genriflow.errors import ConfigError, at_least, one_of
from genriflow.locations import cannot_write
from genriflow.models.ref import check_model

#: Where the tokens come from when no ``token_file`` is given: comma- or space-separated.
TOKENS_ENV = "GENRIFLOW_API_TOKENS"

#: Where the analysis runs: worker processes, or threads of the service's process.
POOLS = ("process", "thread")

#: Hosts that only this machine reaches: no token is needed there unless asked for.
LOOPBACK = ("127.0.0.1", "::1", "localhost")


@dataclass(frozen=True)
class ServiceConfig:
    """Everything ``genriflow serve`` is told; the service holds no other settings.

    Attributes
    ----------
    model : str
        A built-in model name or a model folder, loaded once at start-up.
    host, port : str, int
        Where uvicorn listens. Bound anywhere but loopback, every endpoint except the
        page, ``/healthz``, ``/readyz`` and ``/metrics`` needs a token.
    workers : int
        Worker processes (or threads) of the inference pool, each running one batch of
        songs at a time with its own warm copy of the model (processes) or a shared one.
    pool : {'process', 'thread'}
        ``process`` (the default): the analysis never holds the event loop's interpreter
        lock, so refusals and health checks answer at once under load; ``thread``: one
        copy of the model, quicker to start (tests).
    queue_limit : int
        Songs admitted at once (running and waiting); past it the service answers 503
        with ``Retry-After`` at once.
    max_batch : int
        Concurrent songs gathered into one pass of the API.
    batch_wait : float
        Seconds a song waits for others to join its batch.
    max_upload_bytes : int
        Largest request body (413 past it, read no further).
    max_duration : float
        Longest song accepted, in seconds (413).
    timeout : float
        Seconds one classify request may take (504 past it).
    allow_dirs : tuple of Path
        Folders whose files ``POST /v1/jobs`` may name; none: jobs take uploads only.
    library : Path or None
        A library index (``genriflow library``): the page and ``?similar=true`` then list
        the songs most like the one sent.
    token_file : Path or None
        One token a line; else :data:`TOKENS_ENV`.
    require_token : bool
        Ask for a token on loopback too.
    job_ttl : float
        Seconds a finished job's results are kept unfetched.
    max_jobs : int
        Jobs kept at once (503 past it).
    excerpts : int or None
        3 s excerpts analysed per song (as ``--excerpts``); ``None`` (the default), the
        adaptive sampling of ``genriflow predict``: a few excerpts, more while the model's
        top genre does not clearly lead (:data:`~genriflow.features.sampling.DEFAULT_SAMPLING`).
    store : Path or None
        Feature store; ``None`` (the default) keeps nothing of what is sent.
    """

    model: str = "gtzan"
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 2
    pool: str = "process"
    queue_limit: int = 32
    max_batch: int = 8
    batch_wait: float = 0.01
    max_upload_bytes: int = 100 * 1024 * 1024
    max_duration: float = 1200.0
    timeout: float = 120.0
    allow_dirs: tuple[Path, ...] = ()
    library: Path | None = None
    token_file: Path | None = None
    require_token: bool = False
    job_ttl: float = 3600.0
    max_jobs: int = 64
    excerpts: int | None = None
    store: Path | None = None
    tokens: frozenset[str] = field(default=frozenset(), repr=False, compare=False)

    def __post_init__(self) -> None:
        check_model(self.model)  # a model folder or built-in name, before the server starts
        for name in ("workers", "queue_limit", "max_batch", "max_jobs"):
            at_least(name, getattr(self, name), 1)
        at_least("excerpts", self.excerpts, 1, optional=True)
        for name in ("max_upload_bytes", "max_duration", "timeout", "job_ttl"):
            value = getattr(self, name)  # NaN passed `<= 0` and disabled the limit
            if isinstance(value, bool) or not isinstance(value, Real) \
                    or not math.isfinite(value) or value <= 0:
                raise ConfigError(name, f"must be a positive number; got {value!r}")
        at_least("batch_wait", self.batch_wait, 0)
        one_of("pool", self.pool, POOLS)
        if not 0 <= self.port <= 65535:
            raise ConfigError("port", f"must be between 0 and 65535; got {self.port}")
        dirs = []
        for folder in self.allow_dirs:
            resolved = Path(folder).expanduser().resolve()
            if not resolved.is_dir():
                raise ConfigError("allow_dir", f"{folder} is not a folder")
            dirs.append(resolved)
        object.__setattr__(self, "allow_dirs", tuple(dirs))
        if self.library is not None and not Path(self.library).is_file():
            raise ConfigError("library", f"{self.library} is not a library index file "
                              "(make one with `genriflow library scan`)")
        if self.store is not None and (reason := cannot_write(self.store)) is not None:
            # else one warning at the first song, and every song's features computed anew
            raise ConfigError("store", f"{self.store}: cannot be written ({reason}); the "
                              "service keeps each song's features there: name a writable "
                              "folder, or none to keep nothing")
        if not self.tokens:
            object.__setattr__(self, "tokens", load_tokens(self.token_file))
        if self.needs_token and not self.tokens:
            where = "loopback" if self.loopback else self.host
            raise ConfigError("token_file", f"is needed: bound to {where}, every request but "
                              f"the page, health and metrics needs a token; give tokens in "
                              f"a file (one a line) or in ${TOKENS_ENV}")

    @property
    def loopback(self) -> bool:
        """Whether only this machine can reach the service."""
        return self.host in LOOPBACK or self.host.startswith("127.")

    @property
    def needs_token(self) -> bool:
        """Whether the API endpoints ask for ``Authorization: Bearer <token>``."""
        return self.require_token or not self.loopback

    @property
    def unused_tokens(self) -> str | None:
        """What to warn of when tokens are given but not asked for (on loopback without
        ``require_token``): a reverse proxy on the same machine would pass every request
        on unchecked. ``None`` when the tokens are used, or there are none.

        >>> ServiceConfig(tokens=frozenset({"alpha-0123456789ab"})).unused_tokens[:40]
        '1 token given but not asked for: bound t'
        >>> ServiceConfig(tokens=frozenset({"alpha-0123456789ab"}),
        ...               require_token=True).unused_tokens is None
        True
        """
        if not self.tokens or self.needs_token:
            return None
        return (f"{len(self.tokens)} token{'s' * (len(self.tokens) > 1)} given but not asked "
                f"for: bound to loopback, the API answers this machine unchecked (a reverse "
                f"proxy here passes every request on); --require-token asks for them")

    def to_dict(self) -> dict:
        """The configuration as JSON-ready data; the tokens only counted."""
        data = asdict(self)
        data.pop("tokens")
        data["allow_dirs"] = [str(p) for p in self.allow_dirs]
        for name in ("library", "token_file", "store"):
            data[name] = None if data[name] is None else str(data[name])
        data["tokens"] = len(self.tokens)
        data["needs_token"] = self.needs_token
        return data

    def to_json(self) -> str:
        """:meth:`to_dict` on one line, as ``genriflow serve`` prints it at start-up."""
        return json.dumps(self.to_dict(), sort_keys=True)


def load_tokens(token_file: Path | None) -> frozenset[str]:
    """The accepted tokens: one a line of ``token_file`` (``#`` comments and blank lines
    skipped), else :data:`TOKENS_ENV` split on commas and spaces.

    >>> import os
    >>> os.environ[TOKENS_ENV] = "alpha-0123456789ab, beta-0123456789abc"
    >>> sorted(load_tokens(None))
    ['alpha-0123456789ab', 'beta-0123456789abc']
    >>> del os.environ[TOKENS_ENV]
    """
    if token_file is not None:
        try:
            lines = Path(token_file).read_text().splitlines()
        except OSError as exc:
            raise ConfigError("token_file", f"cannot be read: {exc.strerror}") from None
        tokens = [line.strip() for line in lines if line.strip() and
                  not line.lstrip().startswith("#")]
    else:
        tokens = os.environ.get(TOKENS_ENV, "").replace(",", " ").split()
    short = [t for t in tokens if len(t) < 16]
    if short:
        raise ConfigError("token_file" if token_file is not None else f"${TOKENS_ENV}",
                          f"holds {len(short)} token(s) shorter than 16 characters; use "
                          "long random ones (e.g. `openssl rand -hex 32`)")
    return frozenset(tokens)
