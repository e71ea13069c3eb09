"""``genriflow serve``: an HTTP service and a web page over the public API.

:func:`~genriflow.service.app.create_app` builds the FastAPI app from a
:class:`~genriflow.service.config.ServiceConfig`; :func:`~genriflow.service.server.serve`
runs it on uvicorn. The service holds no logic of its own: every answer comes from
:mod:`genriflow.api` (a warm :class:`~genriflow.api.Classifier`, :func:`~genriflow.api.analyse`,
:func:`~genriflow.api.probe`, :meth:`Library.similar <genriflow.library.Library.similar>`).
"""

from genriflow.service.config import ServiceConfig

__all__ = ["ServiceConfig"]
