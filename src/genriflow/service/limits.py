"""What the service accepts: body size (refused before it is read), uploads saved to a
private folder and deleted after use, and server paths only inside the allowed folders."""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from starlette.datastructures import UploadFile
from starlette.requests import ClientDisconnect, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from genriflow.audio.formats import shown_name
from genriflow.datasets.discover import iter_audio_files
from genriflow.service.errors import ServiceError

#: Read and write uploads in pieces of this size.
CHUNK = 1 << 16

#: The file ending a raw body gets from its content type (the decoder picks by ending).
CONTENT_TYPES = {
    "audio/mpeg": ".mp3", "audio/mp3": ".mp3", "audio/wav": ".wav", "audio/x-wav": ".wav",
    "audio/wave": ".wav", "audio/vnd.wave": ".wav", "audio/flac": ".flac",
    "audio/x-flac": ".flac", "audio/ogg": ".ogg", "audio/opus": ".opus", "audio/mp4": ".m4a",
    "audio/x-m4a": ".m4a", "audio/aac": ".m4a", "audio/aiff": ".aiff",
    "audio/x-aiff": ".aiff", "audio/basic": ".au", "audio/webm": ".webm",
}


class BodyTooLarge(ServiceError):
    """A request body past the limit (413); the connection is then closed, the rest of
    the body unread."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, "too-large", f"the request body is larger than the limit of "
                         f"{limit} bytes ({limit / 2**20:g} MiB)", {"Connection": "close"})


class BodyLimit:
    """ASGI middleware: a body over ``max_bytes`` is refused (413) from its
    ``Content-Length`` before any of it is read, and, when sent without one (chunked),
    as soon as the bytes received pass the limit.

    The refusal is raised where the route first reads the body, so it is answered (and
    counted in the metrics) as the route's, like every other error.

    Parameters
    ----------
    app : ASGI app
    max_bytes : int
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        over = declared is not None and (not declared.isdigit()
                                         or int(declared) > self.max_bytes)
        received = 0

        async def limited() -> Message:
            nonlocal received
            if over:  # not a byte of it read
                raise BodyTooLarge(self.max_bytes)
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        await self.app(scope, limited, send)


@dataclass
class Upload:
    """One file a client sent, saved under the service's private folder.

    Attributes
    ----------
    path : Path
        The saved copy (a random name; deleted by :meth:`delete`).
    name : str
        The name the client gave (for messages and results only; never a path), its
        control characters escaped (``\\n``, ``\\x1b``): it goes into the server's log.
    size : int
    """

    path: Path
    name: str
    size: int

    def delete(self) -> None:
        """Remove the saved copy (done after every use)."""
        self.path.unlink(missing_ok=True)


def _suffix(name: str | None, content_type: str | None) -> str:
    """A safe file ending from the client's name, else from the content type."""
    ending = Path(name or "").suffix.lower()
    if re.fullmatch(r"\.[a-z0-9]{1,5}", ending):
        return ending
    return CONTENT_TYPES.get((content_type or "").split(";")[0].strip().lower(), "")


def _new_path(folder: Path, suffix: str) -> Path:
    return folder / f"upload-{secrets.token_hex(8)}{suffix}"


#: How to send a song, said when a request carries none.
HOW_TO_SEND = "send a file in the multipart field `file`, or the audio itself as the body"


async def save_body(request: Request, folder: Path, *, max_files: int = 1,
                    how: str = HOW_TO_SEND) -> list[Upload]:
    """The audio a request carries, saved to ``folder``: multipart files (any field
    names, at most ``max_files``), or the raw body with its content type.

    ``how`` ends the message of a request without audio: how this endpoint takes it.

    Raises
    ------
    ServiceError
        400 for an empty body, a multipart request without a file or with too many;
        413 (:class:`BodyTooLarge`) past the size limit, however the body is sent.
    """
    try:
        return await _save(request, folder, max_files, how)
    except ClientDisconnect:  # the client went away mid-upload: nothing to answer
        raise ServiceError(400, "disconnected", "the client closed the connection before "
                           "the body was sent") from None


async def _save(request: Request, folder: Path, max_files: int, how: str) -> list[Upload]:
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        return await _save_form(request, folder, max_files, how)
    name = request.query_params.get("filename") or "upload"
    upload = Upload(_new_path(folder, _suffix(name, content_type)), shown_name(name), 0)
    try:
        with open(upload.path, "wb") as out:
            async for chunk in request.stream():
                out.write(chunk)
                upload.size += len(chunk)
    except BaseException:
        upload.delete()
        raise
    if upload.size == 0:
        upload.delete()
        raise ServiceError(400, "empty", f"the request has no audio: {how}")
    return [upload]


async def _save_form(request: Request, folder: Path, max_files: int,
                     how: str) -> list[Upload]:
    try:
        form = await request.form(max_files=max_files, max_fields=16)
    except ServiceError:
        raise
    except Exception as exc:  # the multipart parser's refusals (as Starlette's 400)
        reason = getattr(exc, "detail", None) or getattr(exc, "message", None) or str(exc)
        if str(reason).startswith("Too many files"):
            raise _too_many(max_files) from None
        raise ServiceError(400, "bad-form", f"the multipart body cannot be read: "
                           f"{reason}") from None
    uploads: list[Upload] = []
    try:
        files = [v for _, v in form.multi_items() if isinstance(v, UploadFile)]
        if not files:
            raise ServiceError(400, "empty", f"the form has no file: {how}")
        for item in files:
            # whole: "<b>x</b>.ogg" was shown as "b>.ogg" (a name is never a path here)
            name = shown_name(item.filename or "upload")
            upload = Upload(_new_path(folder, _suffix(name, item.content_type)), name, 0)
            uploads.append(upload)
            with open(upload.path, "wb") as out:
                while chunk := await item.read(CHUNK):
                    out.write(chunk)
                    upload.size += len(chunk)
        # An empty file among others is that file's error in the job, as a bad one is
        if all(upload.size == 0 for upload in uploads):
            raise ServiceError(400, "empty", f"{uploads[0].name}: the file is empty (0 bytes)")
    except BaseException:
        for upload in uploads:
            upload.delete()
        raise
    finally:
        await form.close()
    return uploads


def _too_many(max_files: int) -> ServiceError:
    """The refusal of a form with more files than the endpoint takes."""
    if max_files == 1:
        return ServiceError(400, "too-many", "the form has more than one file: this "
                            "endpoint takes one song (several: a job, POST /v1/jobs)")
    return ServiceError(413, "too-many", f"more than {max_files} files; a job takes at most "
                        f"{max_files}")


def allowed_files(paths: Sequence[str], allow_dirs: Sequence[Path]) -> list[Path]:
    """The server files a client names, each checked to lie inside an allowed folder.

    A path is absolute or relative to the first allowed folder; a folder stands for the
    audio files below it. Every path is resolved (symbolic links followed) before the
    check, so neither ``..`` nor a link leads out. Each file comes once, where it is first
    named: a file named twice, or also found below a folder named, is analysed once.

    Raises
    ------
    ServiceError
        403 when no folder is allowed or a path (or a file below a folder) leads outside
        them; 404 for a path that does not exist; 400 for no path at all.
    """
    if not allow_dirs:
        raise ServiceError(403, "paths-not-allowed", "this service takes no server paths: "
                           "it was started without --allow-dir")
    if not paths:
        raise ServiceError(400, "empty", "no path given")
    files: list[Path] = []
    for given in paths:
        if not isinstance(given, str) or not given or "\0" in given:
            raise ServiceError(400, "bad-path", "each path must be a non-empty string")
        if ".." in Path(given).parts:
            raise ServiceError(403, "path-outside", f"{given}: `..` is not allowed in a path")
        path = Path(given) if os.path.isabs(given) else allow_dirs[0] / given
        _inside(Path(os.path.abspath(path)), given, allow_dirs)  # before asking if it exists
        try:
            resolved = path.resolve(strict=True)
        except (OSError, RuntimeError):
            raise ServiceError(404, "path-missing", f"{given}: no such file or folder"
                               ) from None
        _inside(resolved, given, allow_dirs)
        if resolved.is_dir():
            below = iter_audio_files(resolved)
            for found in below:  # named as found below the folder: the link, not its target
                _inside(found.resolve(), f"{given}: {found.relative_to(resolved)}",
                        allow_dirs)
            files.extend(found.resolve() for found in below)
        else:
            files.append(resolved)
    return list(dict.fromkeys(files))  # a folder and a file in it: one song, not two


def _inside(resolved: Path, given: str, allow_dirs: Sequence[Path]) -> None:
    if not any(resolved.is_relative_to(folder) for folder in allow_dirs):
        raise ServiceError(403, "path-outside", f"{given}: outside the allowed folders")
