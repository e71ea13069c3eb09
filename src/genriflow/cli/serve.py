"""``genriflow serve``: the HTTP service and its web page, over the public API."""

from __future__ import annotations

import math
import signal
from pathlib import Path
from typing import Annotated

import typer

from genriflow.cli.common import Excerpts, console, err_console, labelled
from genriflow.errors import ConfigError

NAME = "serve"


def command(
    model: Annotated[str, typer.Option(help="A model folder or a built-in model (see "
                                       "`genriflow models`), loaded once and kept warm."
                                       )] = "gtzan",
    host: Annotated[str, typer.Option(help="Address to listen on. Anything but loopback "
                                      "makes every endpoint except the page, health and "
                                      "metrics ask for a token.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on (0: any free one).")] = 8000,
    workers: Annotated[int, typer.Option(help="Inference workers, each running one batch "
                                         "of songs at a time.")] = 2,
    pool: Annotated[str, typer.Option(help="process (each worker a process with its own "
                                      "warm model: the server stays responsive under "
                                      "load) or thread (one model, quicker start).")
                    ] = "process",
    allow_dir: Annotated[list[Path] | None, typer.Option(
        "--allow-dir", help="A folder whose files batch jobs may name (repeatable); "
        "nothing outside it is read, `..` and links out refused.")] = None,
    library: Annotated[Path | None, typer.Option(help="A library index (`genriflow library "
                                                 "scan` + `classify`): answers then list "
                                                 "the songs most like the one sent.")
                       ] = None,
    token_file: Annotated[Path | None, typer.Option(help="API tokens, one a line (else "
                                                    "$GENRIFLOW_API_TOKENS, comma-"
                                                    "separated).")] = None,
    require_token: Annotated[bool, typer.Option("--require-token", help="Ask for a token "
                                                "on loopback too.")] = False,
    max_upload_mb: Annotated[float, typer.Option(help="Largest request body, in MiB (413 "
                                                 "past it, read no further).")] = 100.0,
    max_duration: Annotated[float, typer.Option(help="Longest song accepted, in seconds."
                                                )] = 1200.0,
    timeout: Annotated[float, typer.Option(help="Seconds one classify request may take "
                                           "(504 past it).")] = 120.0,
    queue_limit: Annotated[int, typer.Option(help="Songs running or waiting at once; past "
                                             "it, 503 with Retry-After.")] = 32,
    max_batch: Annotated[int, typer.Option(help="Concurrent songs analysed in one pass."
                                           )] = 8,
    job_ttl: Annotated[float, typer.Option(help="Seconds a finished job's results wait to "
                                           "be fetched.")] = 3600.0,
    excerpts: Excerpts = None,
    store: Annotated[Path | None, typer.Option(help="Feature store (default: none; nothing "
                                               "of what is sent is kept).")] = None,
) -> None:
    """Serve genres over HTTP, with a web page at /: POST /v1/classify, POST /v1/jobs,
    GET /v1/jobs/ID, GET /v1/models, /healthz, /readyz, /metrics, /docs.

    The configuration is printed as one line of JSON at start-up (tokens only counted).
    Ctrl-C or SIGTERM stops accepting connections, answers the requests in flight and
    drains the pool.
    """
    from genriflow.service.config import ServiceConfig

    if not math.isfinite(max_upload_mb) or max_upload_mb <= 0:  # said in MiB, as given
        raise ConfigError("max_upload_mb", f"must be a positive number; got {max_upload_mb!r}")
    config = ServiceConfig(
        model=model, host=host, port=port, workers=workers, pool=pool,
        allow_dirs=tuple(allow_dir or ()),
        library=library, token_file=token_file, require_token=require_token,
        max_upload_bytes=int(max_upload_mb * 2**20), max_duration=max_duration,
        timeout=timeout, queue_limit=queue_limit, max_batch=max_batch, job_ttl=job_ttl,
        excerpts=excerpts, store=store)
    from genriflow.service.server import check_address, serve

    if config.unused_tokens:
        err_console.print(labelled("warning", config.unused_tokens), highlight=False)
    check_address(config)  # a port in use is one line now, not after the model loads
    console.print(f"config: {config.to_json()}", highlight=False, soft_wrap=True)
    shown = f"[{host}]" if ":" in host else host
    where = (f"http://{shown}:{port}/" if port else
             f"http://{shown} on a free port (uvicorn names it below)")
    console.print(f"genriflow service on {where} (docs at /docs); Ctrl-C to stop",
                  highlight=False)
    # uvicorn's own SIGTERM: it drains, then ends by the signal (a clean stop to systemd)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    serve(config)
