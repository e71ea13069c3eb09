"""The FastAPI app: routes over :class:`~genriflow.service.engine.Engine` and
:class:`~genriflow.service.jobs.JobStore`, the page, health, metrics and the docs.

Each route only checks, converts and forwards: every answer comes from the public API.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
from contextlib import asynccontextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline
from starlette.exceptions import HTTPException as StarletteHTTPException

import genriflow
from genriflow.api import describe_models
from genriflow.audio.formats import shown_name
from genriflow.service import auth, errors
from genriflow.service.config import ServiceConfig
from genriflow.service.engine import Engine, Item
from genriflow.service.errors import ServiceError
from genriflow.service.jobs import JobStore
from genriflow.service.limits import BodyLimit, allowed_files, save_body
from genriflow.service.metrics import Metrics, MetricsMiddleware
from genriflow.service.schemas import Error, JobRequest, JobStatus, SongResult

PAGE = Path(__file__).parent / "page"

#: Where the docs pages' own JS and CSS are served.
DOCS_STATIC = "/static/docs"

#: Files one job may take.
MAX_JOB_FILES = 256

#: How to send a job, said when a request carries none.
HOW_TO_SEND_JOB = ("send the songs as multipart files in the field `files`, or JSON "
                   '`{"paths": [...]}` naming files under an --allow-dir folder')



def _errors(*statuses: int) -> dict[int | str, dict]:
    """The OpenAPI responses of the error statuses an endpoint can answer."""
    return {status: {"model": Error} for status in statuses}


#: Each endpoint's own error statuses (beside every /v1 endpoint's 422 for a query
#: parameter it does not take, and 401 when tokens are needed).
_CLASSIFY_ERRORS = _errors(400, 413, 415, 422, 503, 504)
_JOB_ERRORS = _errors(400, 403, 404, 413, 415, 422, 503)
_AUDIO_BODY = {"requestBody": {"required": True, "content": {
    "multipart/form-data": {"schema": {"type": "object", "required": ["file"], "properties": {
        "file": {"type": "string", "format": "binary"}}}},
    "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
}, "description": "The song: a multipart upload in the field `file`, or the audio itself as "
                  "the body with its content type (`audio/mpeg`, `audio/flac`, ...)."}}
_JOB_BODY = {"requestBody": {"required": True, "content": {
    "application/json": {"schema": JobRequest.model_json_schema()},
    "multipart/form-data": {"schema": {"type": "object", "required": ["files"], "properties": {
        "files": {"type": "array", "items": {"type": "string", "format": "binary"}}}}},
}}}


_BEARER = HTTPBearer(auto_error=False, description="One of the service's tokens.")


async def require_token(
        request: Request,
        _: Annotated[HTTPAuthorizationCredentials | None, Depends(_BEARER)]) -> None:
    """The API's guard (the scheme named in the OpenAPI document): a token when the
    service needs them."""
    config: ServiceConfig = request.app.state.config
    if config.needs_token:
        auth.check(request, config.tokens)


def _query_names(dependant: Dependant) -> list[str]:
    """The query parameters an endpoint takes: its own and its dependencies'."""
    names = [param.alias for param in dependant.query_params]
    for sub in dependant.dependencies:
        names += [n for n in _query_names(sub) if n not in names]
    return names


async def known_query(request: Request) -> None:
    """Refuse a query parameter the endpoint does not take, or one given twice (422):
    ``?tag=true`` was ignored, and the song analysed without tags as if nothing had been
    asked; of ``?tags=true&tags=false`` the last silently won."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    taken = _query_names(route.dependant)
    given = [name for name, _ in request.query_params.multi_items()]
    unknown = [name for name in dict.fromkeys(given) if name not in taken]
    if unknown:
        takes = (f"it takes {', '.join(taken)}" if taken
                 else "it takes no query parameters")
        raise ServiceError(422, "unknown-parameter", f"?{shown_name(unknown[0])[:64]}: not a "
                           f"parameter of {request.method} {route.path}; {takes}")
    repeated = [name for name in dict.fromkeys(given) if given.count(name) > 1]
    if repeated:
        raise ServiceError(422, "repeated-parameter", f"?{shown_name(repeated[0])[:64]}: "
                           f"given {given.count(repeated[0])} times to {request.method} "
                           f"{route.path}; give it once")


def create_app(config: ServiceConfig) -> FastAPI:
    """The service's ASGI app for ``config``: the model loads at start-up (lifespan),
    ``/readyz`` says when it is warm."""
    upload_dir = Path(tempfile.mkdtemp(prefix="genriflow-uploads-"))
    engine = Engine(config)
    jobs = JobStore(engine, ttl=config.job_ttl, max_jobs=config.max_jobs)
    metrics = Metrics(lambda: engine.pending, lambda: len(jobs.jobs))
    engine.on_batch = metrics.batch

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        await engine.start()
        try:
            yield
        finally:  # uvicorn has finished the requests in flight; drain the pool
            await jobs.close()
            await engine.close()
            for leftover in upload_dir.glob("*"):
                leftover.unlink(missing_ok=True)
            upload_dir.rmdir()

    # /docs and /redoc with Swagger UI's and ReDoc's files served from here, not a CDN
    app = FastAPIOffline(title="genriflow", version=genriflow.__version__,
                         lifespan=lifespan, static_url=DOCS_STATIC,
                         favicon_url="/static/favicon.svg",
                         description="Music genres, tags, moods and voice from audio.")
    app.swagger_ui_parameters = {"validatorUrl": None}  # no badge fetched from outside
    app.state.engine, app.state.jobs, app.state.metrics = engine, jobs, metrics
    app.state.config, app.state.upload_dir = config, upload_dir

    def counted(handler):
        async def handle(request: Request, exc: Exception) -> JSONResponse:
            response = await handler(request, exc)
            code = json.loads(response.body)["error"]["code"]
            metrics.errors.labels(code).inc()
            return response
        return handle

    app.add_exception_handler(ServiceError, counted(errors.service_error))
    app.add_exception_handler(StarletteHTTPException, counted(errors.http_error))
    app.add_exception_handler(RequestValidationError, counted(errors.validation_error))
    app.add_exception_handler(Exception, counted(errors.internal_error))
    app.add_middleware(BodyLimit, max_bytes=config.max_upload_bytes)
    app.add_middleware(MetricsMiddleware, metrics=metrics)

    guards = [Depends(require_token)] if config.needs_token else []  # a token first
    api = APIRouter(prefix="/v1", dependencies=[*guards, Depends(known_query)],
                    responses=_errors(*(401,) * config.needs_token, 422))
    _routes(api, config, engine, jobs, upload_dir)
    _answer_head(api)
    app.include_router(api)
    _public(app, config, engine, metrics)
    _answer_head(app.router)
    return app


def _answer_head(router: APIRouter) -> None:
    """HEAD wherever ``router`` answers GET (a load balancer's or uptime monitor's probe,
    a client checking a job: a 405 before): a twin route of each GET endpoint, with the
    same guards and query check, kept out of the document (one route of both methods
    would be two operations of one id). The server sends the GET's status and headers,
    no body."""
    for route in list(router.routes):
        if isinstance(route, APIRoute) and "GET" in route.methods and (
                "HEAD" not in route.methods):
            own = [d for d in route.dependencies if d not in router.dependencies]
            router.add_api_route(route.path.removeprefix(router.prefix), route.endpoint,
                                 methods=["HEAD"], dependencies=own,
                                 response_class=route.response_class,
                                 include_in_schema=False)


def _routes(api: APIRouter, config: ServiceConfig, engine: Engine, jobs: JobStore,
            upload_dir: Path) -> None:
    @api.post("/classify", openapi_extra=_AUDIO_BODY,
              responses={200: {"model": SongResult}, **_CLASSIFY_ERRORS},
              summary="Genres of one song, its timeline, and (asked) tags, moods, voice")
    async def classify(request: Request,
                       tags: bool = Query(False, description="Also tags, moods and voice."),
                       similar: bool = Query(False, description="Also the library's most "
                                             "similar songs (with --library)."),
                       filename: str | None = Query(None, max_length=255, description=(
                           "The song's name, for a raw body (its ending helps the "
                           "decoder)."))) -> JSONResponse:
        if similar and config.library is None:  # said, not silently left out
            raise ServiceError(422, "bad-option", "similar: this service has no library "
                               "to search (start it with --library INDEX)")
        engine.admit(1)  # before the body is read: a full queue costs the client nothing
        try:
            upload = (await save_body(request, upload_dir))[0]
        except BaseException:
            engine.release(1)
            raise
        item = Item(upload.path, upload.name, tags=tags, similar=similar, delete=True)
        future = engine.submit(item)
        try:
            result = await asyncio.wait_for(asyncio.shield(future), config.timeout)
        except TimeoutError:
            future.cancel()
            raise ServiceError(504, "timeout", f"{upload.name}: not analysed within "
                               f"{config.timeout:.0f} s") from None
        return JSONResponse(result)

    @api.post("/jobs", status_code=202, openapi_extra=_JOB_BODY,
              responses={202: {"model": JobStatus}, **_JOB_ERRORS},
              summary="Start a batch job: several uploads, or files in an allowed folder")
    async def submit_job(request: Request,
                         tags: bool = Query(False, description="Uploads: also tags, moods "
                                            "and voice (a JSON body says it itself).")
                         ) -> JSONResponse:
        content_type = request.headers.get("content-type", "").lower()
        if not content_type.startswith(("application/json", "multipart/form-data")) and (
                request.headers.get("content-length", "0") != "0"
                or "transfer-encoding" in request.headers):
            # `curl -d '{"paths": ...}'` sends a form's type: it was taken for one upload,
            # 202, and the job's one song then failed as not audio
            raise ServiceError(415, "bad-content-type", "a job is JSON `{\"paths\": [...]}` "
                               "(Content-Type: application/json) or multipart files in the "
                               f"field `files`; got Content-Type: {content_type or 'none'}")
        if content_type.startswith("application/json"):
            spec = await _job_request(request)
            files = allowed_files(spec.paths, config.allow_dirs)
            if len(files) > MAX_JOB_FILES:
                raise ServiceError(413, "too-many", f"{len(files)} files; a job takes at "
                                   f"most {MAX_JOB_FILES}")
            items = [Item(f, shown_name(str(_shown(f, config))), tags=spec.tags)
                     for f in files]  # a name not UTF-8 (Latin-1 from an old disc): \xe9
        else:
            uploads = await save_body(request, upload_dir, max_files=MAX_JOB_FILES,
                                      how=HOW_TO_SEND_JOB)
            items = [Item(u.path, u.name, tags=tags, delete=True) for u in uploads]
        if not items:
            raise ServiceError(400, "empty", "the job has no audio file")
        try:
            job = jobs.submit(items)
        except ServiceError:
            for item in items:
                if item.delete:
                    item.path.unlink(missing_ok=True)
            raise
        return JSONResponse(job.status(with_results=False), status_code=202,
                            headers={"Location": f"/v1/jobs/{job.id}"})

    @api.get("/jobs/{job_id}", responses={200: {"model": JobStatus}, **_errors(404)},
             summary="A job's progress; once done, its results (given once)")
    async def get_job(request: Request, job_id: str) -> JSONResponse:
        # HEAD answers what GET would, but the results stay for the GET
        return JSONResponse(jobs.get(job_id, keep=request.method == "HEAD"))

    @api.delete("/jobs/{job_id}", responses={200: {"model": JobStatus}, **_errors(404, 409)},
                summary="Cancel a queued or running job; it keeps the songs analysed so far")
    async def cancel_job(job_id: str) -> JSONResponse:
        return JSONResponse(jobs.cancel(job_id))

    @api.get("/models", summary="The model this service answers with, and the built-ins")
    async def models() -> JSONResponse:
        loaded = dict(engine.identity, labels=engine.labels,
                      multi_label=engine.multi_label, ready=engine.ready)
        return JSONResponse({"loaded": loaded if engine.ready else {"name": config.model,
                                                                    "ready": False},
                             "builtin": [asdict(m) for m in describe_models()]})


async def _job_request(request: Request) -> JobRequest:
    try:
        return JobRequest.model_validate_json(await request.body())
    except ValueError as exc:
        first = getattr(exc, "errors", lambda: [{}])()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        if first.get("type") == "extra_forbidden":
            raise ServiceError(422, "invalid-request", f"{where}: not a key of a job; it "
                               f"takes {', '.join(JobRequest.model_fields)}") from None
        raise ServiceError(422, "invalid-request", f"{where or 'body'}: "
                           f"{first.get('msg', 'not a job request')}") from None


def _shown(path: Path, config: ServiceConfig) -> Path:
    """A server file as results name it: relative to its allowed folder."""
    for folder in config.allow_dirs:
        if path.is_relative_to(folder):
            return path.relative_to(folder)
    return Path(path.name)


def _public(app: FastAPI, config: ServiceConfig, engine: Engine, metrics: Metrics) -> None:
    app.mount("/static", StaticFiles(directory=PAGE), name="static")

    @app.get("/", include_in_schema=False)
    async def page() -> FileResponse:
        return FileResponse(PAGE / "index.html", media_type="text/html")

    @app.get("/healthz", summary="Liveness: the process answers")
    async def healthz() -> dict:
        return {"status": "ok"}

    @app.get("/readyz", summary="Readiness: the model is loaded and warm",
             responses={503: {"model": Error}})
    async def readyz() -> JSONResponse:
        if not engine.ready:
            raise ServiceError(503, "not-ready", engine.load_error or "the model is loading",
                               {"Retry-After": "5"})
        return JSONResponse({"status": "ready", "model": engine.identity,
                             "multi_label": engine.multi_label,
                             "needs_token": config.needs_token,
                             "library": config.library is not None})

    @app.get("/metrics", summary="Prometheus metrics", response_class=Response)
    async def prometheus() -> Response:
        return Response(metrics.text(), media_type="text/plain; version=0.0.4")
