"""``genriflow serve``: an HTTP service and a web page over the public API.

:func:`~genriflow.service.app.create_app` builds the FastAPI app from a
:class:`~genriflow.service.config.ServiceConfig`; :func:`~genriflow.service.server.serve`
runs it on uvicorn. The service holds no logic of its own: every answer comes from the
one inference pipeline that :func:`genriflow.analyse` runs (a warm
:class:`~genriflow.inference.pipeline.Pipeline` per worker), :func:`~genriflow.api.probe`
and :meth:`Library.similar <genriflow.library.Library.similar>`.
"""

from genriflow.service.config import ServiceConfig

__all__ = ["ServiceConfig"]
