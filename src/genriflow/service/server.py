"""Run the service on uvicorn, with a graceful shutdown that drains the pool."""

from __future__ import annotations

import errno
import logging
import socket

import uvicorn

from genriflow.errors import ConfigError
from genriflow.service.app import create_app
from genriflow.service.config import ServiceConfig


def uvicorn_config(config: ServiceConfig, *, log_level: str = "info") -> uvicorn.Config:
    """uvicorn's settings for ``config``: one process (the model is loaded once and the
    jobs live in it), and on SIGTERM or Ctrl-C up to ``timeout`` seconds for the requests
    in flight to finish before the pool is drained."""
    return uvicorn.Config(create_app(config), host=config.host, port=config.port,
                          log_level=log_level, timeout_graceful_shutdown=int(config.timeout) + 5,
                          server_header=False, proxy_headers=False, access_log=False)


def check_address(config: ServiceConfig) -> None:
    """Bind ``config``'s address once, as uvicorn will, and let it go: a port in use, or an
    address this machine does not have, is then one line before anything loads (uvicorn
    would say it after the model had loaded, and exit with status 3).

    Raises
    ------
    ConfigError
        The address cannot be listened on (``port`` when it is taken, else ``host``).
    """
    family = socket.AF_INET6 if ":" in config.host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            sock.bind((config.host, config.port))
        except OSError as exc:
            field = "port" if exc.errno == errno.EADDRINUSE else "host"
            raise ConfigError(field, f"{config.host}:{config.port}: cannot listen there "
                              f"({exc.strerror or exc})") from None


def serve(config: ServiceConfig, *, log_level: str = "info") -> None:
    """Serve until interrupted (SIGINT, SIGTERM): new connections are refused, requests in
    flight are answered, then the pool finishes its songs and stops."""
    check_address(config)
    logging.getLogger("genriflow.service").setLevel(log_level.upper())
    if not logging.getLogger().handlers:
        logging.basicConfig(format="%(levelname)s:     %(message)s")
    uvicorn.Server(uvicorn_config(config, log_level=log_level)).run()
