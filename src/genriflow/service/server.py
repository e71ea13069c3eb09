"""Run the service on uvicorn, with a graceful shutdown that drains the pool."""

from __future__ import annotations

import logging

import uvicorn

from genriflow.service.app import create_app
from genriflow.service.config import ServiceConfig


def uvicorn_config(config: ServiceConfig, *, log_level: str = "info") -> uvicorn.Config:
    """uvicorn's settings for ``config``: one process (the model is loaded once and the
    jobs live in it), and on SIGTERM or Ctrl-C up to ``timeout`` seconds for the requests
    in flight to finish before the pool is drained."""
    return uvicorn.Config(create_app(config), host=config.host, port=config.port,
                          log_level=log_level, timeout_graceful_shutdown=int(config.timeout) + 5,
                          server_header=False, proxy_headers=False, access_log=False)


def serve(config: ServiceConfig, *, log_level: str = "info") -> None:
    """Serve until interrupted (SIGINT, SIGTERM): new connections are refused, requests in
    flight are answered, then the pool finishes its songs and stops."""
    logging.getLogger("genriflow.service").setLevel(log_level.upper())
    if not logging.getLogger().handlers:
        logging.basicConfig(format="%(levelname)s:     %(message)s")
    uvicorn.Server(uvicorn_config(config, log_level=log_level)).run()
