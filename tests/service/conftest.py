"""The service, in this process through its ASGI app, or for real on a loopback socket.

Most tests talk to the ASGI app in this process (:func:`serving`, Starlette's
``TestClient``: the app's lifespan runs, the model loads, each request goes through every
middleware, route and error handler, no socket). The tests whose point is the socket (a
body refused before it is read, a burst of concurrent connections, a graceful shutdown, a
browser) serve it with uvicorn on a loopback port in a thread (:func:`running`; the
``network`` tier, tests/conftest.py).

One service of each kind (the default ``gtzan`` model, a library index beside it) serves
most tests (``served`` and ``client`` in this process, ``service`` on a socket); tests
that need other settings (tokens, a tiny queue, an allowed folder) start their own, which
is quick: the pretrained networks stay loaded in the process.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import httpx
import numpy as np
import pytest
import soundfile as sf

from genriflow.datasets.synthetic.arrange import synthesize_clip
from genriflow.service.app import create_app
from genriflow.service.config import ServiceConfig
from genriflow.service.server import uvicorn_config

SR = 22050
TOKEN = "test-token-0123456789abcdef"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def write_clip(path: Path, genre: str = "rock", seconds: float = 8.0, seed: int = 0) -> Path:
    """A generated song of ``genre`` in the container of ``path``'s ending."""
    path.parent.mkdir(parents=True, exist_ok=True)
    y = synthesize_clip(genre, seconds, SR, np.random.default_rng(seed))
    sf.write(path, 0.5 * y / max(1e-9, float(np.abs(y).max())), SR)
    return path


@dataclass
class Running:
    """A service running in this process: its URL, app and configuration."""

    url: str
    app: object
    config: ServiceConfig
    stop: Callable[[], None]
    #: In this process: the ``TestClient`` bound to the app (closed with the service).
    in_process: Callable[..., contextlib.AbstractContextManager[httpx.Client]] | None = None
    #: On a socket: the ``uvicorn.Server`` serving it.
    server: object | None = None

    def client(self, **kwargs) -> contextlib.AbstractContextManager[httpx.Client]:
        if self.in_process is not None:
            return self.in_process(**kwargs)
        return httpx.Client(base_url=self.url, timeout=60.0, **kwargs)

    def requests_read(self) -> int:
        """On a socket: the requests whose head the server has read, answered or in flight.
        A graceful shutdown finishes these; a connection whose request it has not read yet
        it closes, and its client gets no answer."""
        state = self.server.server_state
        return state.total_requests + sum(
            1 for connection in list(state.connections)
            if (cycle := getattr(connection, "cycle", None)) is not None
            and not cycle.response_complete)


@contextlib.contextmanager
def serving(config: ServiceConfig, *, pool: str = "thread") -> Iterator[Running]:
    """Serve ``config`` in this process through its ASGI app (its inference in threads
    unless ``pool`` says otherwise) until the block ends, ready (``/readyz`` answered 200);
    ``client()`` is the one ``TestClient`` whose event loop runs the app and its jobs."""
    from starlette.exceptions import StarletteDeprecationWarning

    with warnings.catch_warnings():  # Starlette would have httpx2 here; httpx is pinned
        warnings.simplefilter("ignore", StarletteDeprecationWarning)
        from starlette.testclient import TestClient

    config = replace(config, pool=pool)
    app = create_app(config)
    # as httpx.Client against the socket: no redirect followed, a server error answered 500
    with TestClient(app, base_url="http://testserver", follow_redirects=False,
                    raise_server_exceptions=False) as http:
        deadline = time.monotonic() + 60
        while http.get("/readyz").status_code != 200:
            if time.monotonic() > deadline:
                raise RuntimeError("the test service's model did not load")
            time.sleep(0.05)

        def stop() -> None:
            raise RuntimeError("a service in this process stops when its block ends")

        def shared(**kwargs) -> contextlib.AbstractContextManager[httpx.Client]:
            if kwargs:  # never dropped silently: one client serves every request
                raise TypeError(f"the in-process client takes no {sorted(kwargs)}; pass "
                                "them per request")
            return contextlib.nullcontext(http)

        yield Running("http://testserver", app, config, stop, shared)


@contextlib.contextmanager
def running(config: ServiceConfig, *, pool: str = "thread",
            wait_ready: bool = True) -> Iterator[Running]:
    """Serve ``config`` (its port taken as 0: any free one; its inference in threads
    unless ``pool`` says otherwise, quicker to start) until the block ends, then shut
    down as on SIGTERM (graceful)."""
    import uvicorn

    config = replace(config, pool=pool)
    settings = uvicorn_config(config, log_level="warning")
    settings.port = 0
    server = uvicorn.Server(settings)
    thread = threading.Thread(target=server.run, name="genriflow-test-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test service did not start")
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    service = Running(f"http://127.0.0.1:{port}", server.config.loaded_app, config,
                      lambda: setattr(server, "should_exit", True), server=server)
    try:
        if wait_ready:
            with service.client() as client:
                while client.get("/readyz").status_code != 200:
                    if time.monotonic() > deadline:
                        raise RuntimeError("the test service's model did not load")
                    time.sleep(0.05)
        yield service
    finally:
        server.should_exit = True
        thread.join(timeout=60)


@pytest.fixture(scope="session", name="running")
def running_fixture():
    """:func:`running`: ``with running(config) as service:`` serves ``config`` on a socket."""
    return running


@pytest.fixture(scope="session", name="serving")
def serving_fixture():
    """:func:`serving`: ``with serving(config) as service:`` serves ``config`` in this
    process."""
    return serving


@pytest.fixture(scope="session", name="write_clip")
def write_clip_fixture():
    """:func:`write_clip`: a generated song of a genre."""
    return write_clip


@pytest.fixture(scope="session")
def token() -> str:
    return TOKEN


@pytest.fixture(scope="session")
def songs(tmp_path_factory) -> dict[str, Path]:
    """Generated songs: three genres as wav (the library's songs), one as flac, and one as
    mp3."""
    root = tmp_path_factory.mktemp("songs")
    out = {genre: write_clip(root / "library" / f"{genre}.wav", genre, seed=i)
           for i, genre in enumerate(("rock", "classical", "jazz"))}
    out["flac"] = write_clip(root / "disco.flac", "disco", seed=4)
    mp3 = root / "song.mp3"
    y, _ = sf.read(out["rock"])
    sf.write(mp3, y, SR, format="MP3")
    out["mp3"] = mp3
    return out


@pytest.fixture(scope="session")
def library_db(tmp_path_factory, songs) -> Path:
    """A library index of the three wav songs, classified (the similarity embeddings
    stored)."""
    from genriflow import Library, RunOptions

    db = tmp_path_factory.mktemp("library") / "library.db"
    with Library(db) as library:
        library.scan([songs["rock"].parent])
        library.classify(model="gtzan-table", options=RunOptions(n_jobs=1))
    return db


def _default(library_db: Path) -> ServiceConfig:
    """The default service: model gtzan, a library index, loopback, no token."""
    return ServiceConfig(model="gtzan", library=library_db, workers=2)


@pytest.fixture(scope="session")
def served(library_db) -> Iterator[Running]:
    """The default service in this process."""
    with serving(_default(library_db)) as in_process:
        yield in_process


@pytest.fixture(scope="session")
def service(library_db) -> Iterator[Running]:
    """The default service on a loopback socket."""
    with running(_default(library_db)) as on_a_socket:
        yield on_a_socket


@pytest.fixture()
def client(served) -> Iterator[httpx.Client]:
    """A client of the default service in this process."""
    with served.client() as http:
        yield http


@pytest.fixture(scope="module")
def browser():
    """Debian's headless Chromium driven by Playwright (the page's tests; never a browser
    that Playwright downloads)."""
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail("chromium is missing in CI: .ci/run installs it (apt-get install "
                        "chromium)")
        pytest.skip("Debian's chromium is not installed (/usr/bin/chromium): "
                    "apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM),
                                             args=CHROMIUM_ARGS)
        yield browser
        browser.close()
