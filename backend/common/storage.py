"""Media storage: the one module that knows where uploaded and generated files live.

Every file PoseForge keeps (uploaded videos, the frame cache and frame-index sidecars,
model artifacts, prediction files, exports, import inputs and results) is named by a
*key*: a relative, slash-separated name such as ``projects/3/videos/<uid>.mp4`` or
``models/project-3/job-7/weights.pt``. The key is what the database stores; this module
turns a key into bytes, a streamed HTTP response (with Range, for ``<video>`` seeking),
or a path on local disk for code that needs one (PyAV, training).

The backend is Django's ``default`` storage:

- local disk (the embedded default, ``MEDIA_STORAGE=local``): keys are files under
  ``MEDIA_ROOT`` and ``local_path`` returns the real file, with no copy;
- an S3-compatible store (``MEDIA_STORAGE=s3``: MinIO, AWS; django-storages + boto3):
  ``local_path`` downloads the object once into ``MEDIA_CACHE_DIR`` and reuses that copy
  while the object's ETag is unchanged, so web and GPU workers on different machines
  need no shared folder.

Keys never come from users unchecked: ``check_key`` refuses absolute names, ``..``,
backslashes and control characters, so no key reaches outside the store.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.http import HttpRequest, HttpResponseBase, StreamingHttpResponse
from django.utils.http import content_disposition_header

RANGE_CHUNK = 1024 * 1024
_BAD_KEY = re.compile(r"[\\\x00-\x1f]")


def store() -> Storage:
    return storages["default"]


def is_local() -> bool:
    return isinstance(store(), FileSystemStorage)


def check_key(key: str) -> str:
    """``key`` when it is a plain relative media name; SuspiciousFileOperation otherwise."""
    parts = key.split("/") if isinstance(key, str) else []
    if (
        not key
        or key.startswith("/")
        or _BAD_KEY.search(key)
        or any(part in ("", ".", "..") for part in parts)
    ):
        raise SuspiciousFileOperation(f"{key!r} is not a media key")
    return key


def join(*parts: str) -> str:
    return check_key("/".join(str(p).strip("/") for p in parts if str(p).strip("/")))


# --- reading ----------------------------------------------------------------


def exists(key: str) -> bool:
    return store().exists(check_key(key))


def size(key: str) -> int:
    return store().size(check_key(key))


def open(key: str) -> IO[bytes]:  # noqa: A001 - storage.open reads like the builtin
    """A binary, seekable file object; FileNotFoundError when the key is absent."""
    check_key(key)
    if is_local():
        return Path(store().path(key)).open("rb")
    if not store().exists(key):
        raise FileNotFoundError(key)
    return store().open(key, "rb")


def read_bytes(key: str) -> bytes:
    with open(key) as handle:
        return handle.read()


def etag(key: str) -> str:
    """A value that changes whenever the content of ``key`` does (HTTP caching, copies)."""
    check_key(key)
    if is_local():
        stat = Path(store().path(key)).stat()
        return f"{stat.st_size}-{stat.st_mtime_ns}"
    return str(_head(key)["ETag"]).strip('"')


def list_keys(prefix: str) -> list[str]:
    """Every key under the folder ``prefix`` (recursive), sorted."""
    prefix = check_key(prefix.rstrip("/"))
    if is_local():
        root = Path(store().path(prefix))
        base = Path(store().location)
        if not root.is_dir():
            return []
        return sorted(p.relative_to(base).as_posix() for p in root.rglob("*") if p.is_file())
    s3, start = store(), len(_s3_name("x")) - 1
    objects = s3.bucket.objects.filter(Prefix=_s3_name(prefix) + "/")  # type: ignore[attr-defined]
    return sorted(obj.key[start:] for obj in objects)


# --- writing ----------------------------------------------------------------


def save_bytes(key: str, data: bytes) -> str:
    """Write ``data`` at exactly ``key`` (replacing it); readers never see half a file."""
    check_key(key)
    if is_local():
        _write_local_atomic(Path(store().path(key)), lambda handle: handle.write(data))
    else:
        store().save(key, ContentFile(data))
    return key


def save_file(key: str, path: Path) -> str:
    """Store the local file ``path`` at exactly ``key``; the file itself is left in place."""
    check_key(key)
    if is_local():
        dest = Path(store().path(key))
        if Path(path).resolve() != dest.resolve():
            _write_local_atomic(dest, lambda handle: _copy_into(path, handle))
    else:
        s3 = store()
        s3.bucket.upload_file(str(path), _s3_name(key))  # type: ignore[attr-defined]
    return key


def save_dir(prefix: str, folder: Path) -> list[str]:
    """Store every file under ``folder`` below ``prefix``; returns the keys written."""
    keys = []
    for path in sorted(p for p in Path(folder).rglob("*") if p.is_file()):
        keys.append(save_file(join(prefix, path.relative_to(folder).as_posix()), path))
    return keys


def delete(key: str) -> None:
    store().delete(check_key(key))


def delete_prefix(prefix: str) -> int:
    """Delete every file under the folder ``prefix``; returns how many went.

    Never the whole store: ``prefix`` must name a folder below the root.
    """
    prefix = check_key(prefix.rstrip("/"))
    if is_local():
        root = Path(store().location).resolve()
        folder = Path(store().path(prefix)).resolve()
        if folder == root or not folder.is_relative_to(root) or not folder.is_dir():
            return 0
        count = sum(1 for p in folder.rglob("*") if p.is_file())
        shutil.rmtree(folder, ignore_errors=True)
        return count
    objects = store().bucket.objects.filter(Prefix=_s3_name(prefix) + "/")  # type: ignore[attr-defined]
    return sum(len(batch.get("Deleted", [])) for batch in objects.delete())


# --- local paths for workers ------------------------------------------------


def local_path(key: str) -> Path:
    """A path on this machine holding the content of ``key``.

    Local storage: the stored file itself. S3: a copy in ``MEDIA_CACHE_DIR`` made on
    first use and kept while the object's ETag stays the same, so repeat use is free.
    Treat the path as read-only.
    """
    check_key(key)
    if is_local():
        path = Path(store().path(key))
        if not path.is_file():
            raise FileNotFoundError(key)
        return path
    return _cached_copy(key)


@contextmanager
def local_copy(key: str) -> Iterator[Path]:
    """``with local_copy(key) as path:`` — :func:`local_path` as a context manager."""
    yield local_path(key)


def local_dir(prefix: str) -> Path:
    """A folder on this machine holding every file under ``prefix`` (a model's artifacts).

    Local storage: the stored folder itself. S3: cached copies, as :func:`local_path`.
    """
    prefix = check_key(prefix.rstrip("/"))
    if is_local():
        folder = Path(store().path(prefix))
        if not folder.is_dir():
            raise FileNotFoundError(prefix)
        return folder
    keys = list_keys(prefix)
    if not keys:
        raise FileNotFoundError(prefix)
    for key in keys:
        _cached_copy(key)
    return Path(settings.MEDIA_CACHE_DIR) / prefix


def key_of(path: Path) -> str | None:
    """The key whose local file (or cached copy) ``path`` is; None for any other file."""
    if is_local():
        root = Path(store().location).resolve()
    else:
        root = Path(settings.MEDIA_CACHE_DIR).resolve()
    try:
        resolved = Path(path).resolve()
    except OSError:
        return None
    if not resolved.is_relative_to(root) or resolved == root:
        return None
    key = resolved.relative_to(root).as_posix()
    try:
        return check_key(key)
    except SuspiciousFileOperation:
        return None


def _cached_copy(key: str) -> Path:
    cache = Path(settings.MEDIA_CACHE_DIR)
    path = cache / key
    marker = path.with_name(f".{path.name}.etag")
    tag = etag(key)
    if path.is_file() and marker.is_file() and marker.read_text() == tag:
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".dl-")
    os.close(fd)
    try:
        store().bucket.download_file(_s3_name(key), tmp)  # type: ignore[attr-defined]
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)
    marker.write_text(tag)
    return path


# --- serving ----------------------------------------------------------------


def serve(
    request: HttpRequest,
    key: str,
    *,
    content_type: str,
    filename: str | None = None,
    as_attachment: bool = False,
) -> HttpResponseBase:
    """The stored file, or the byte range the request asked for (``<video>`` seeks with Range).

    The bytes are streamed from the store in chunks (ranged GETs on S3), never read whole.
    Raises FileNotFoundError when ``key`` is absent (views turn it into a 404).
    """
    total = size(key)
    wanted = _byte_range(request.headers.get("Range", ""), total)
    if wanted == (-1, -1):
        response = StreamingHttpResponse([], status=416)
        response["Content-Range"] = f"bytes */{total}"
        return response
    start, end = wanted or (0, total - 1)
    response = StreamingHttpResponse(
        _stream(key, start, end), status=200 if wanted is None else 206, content_type=content_type
    )
    if wanted is not None:
        response["Content-Range"] = f"bytes {start}-{end}/{total}"
    response["Content-Length"] = str(max(end - start + 1, 0))
    response["Accept-Ranges"] = "bytes"
    if filename or as_attachment:
        disposition = content_disposition_header(as_attachment, filename or key.rsplit("/")[-1])
        if disposition:
            response["Content-Disposition"] = disposition
    return response


def _byte_range(header: str, total: int) -> tuple[int, int] | None:
    """(start, end) inclusive; None for the whole file; (-1, -1) when unsatisfiable."""
    match = re.fullmatch(r"bytes=(\d*)-(\d*)", header.strip())
    if match is None or match.groups() == ("", ""):
        return None
    first, last = match.groups()
    if first:
        start, end = int(first), min(int(last) if last else total - 1, total - 1)
    else:  # "bytes=-N": the last N bytes
        start, end = max(total - int(last), 0), total - 1
    if start > end or start >= total:
        return (-1, -1)
    return start, end


def _stream(key: str, start: int, end: int) -> Iterator[bytes]:
    if end < start:
        return
    if not is_local():
        s3 = store()
        body = s3.connection.meta.client.get_object(  # type: ignore[attr-defined]
            Bucket=s3.bucket_name, Key=_s3_name(key), Range=f"bytes={start}-{end}"  # type: ignore[attr-defined]
        )["Body"]
        try:
            yield from body.iter_chunks(RANGE_CHUNK)
        finally:
            body.close()
        return
    with open(key) as handle:
        handle.seek(start)
        left = end - start + 1
        while left > 0:
            chunk = handle.read(min(RANGE_CHUNK, left))
            if not chunk:
                return
            left -= len(chunk)
            yield chunk


# --- helpers ----------------------------------------------------------------


def _write_local_atomic(dest: Path, write: Any) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dest.parent, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _copy_into(path: Path, handle: IO[bytes]) -> None:
    with Path(path).open("rb") as source:
        shutil.copyfileobj(source, handle, RANGE_CHUNK)


def _s3_name(key: str) -> str:
    """The object name of ``key`` in the bucket (below the store's location prefix)."""
    from storages.utils import clean_name

    return store()._normalize_name(clean_name(key))  # type: ignore[attr-defined]


def _head(key: str) -> dict[str, Any]:
    s3 = store()
    client = s3.connection.meta.client  # type: ignore[attr-defined]
    try:
        return client.head_object(Bucket=s3.bucket_name, Key=_s3_name(key))  # type: ignore[attr-defined]
    except client.exceptions.ClientError as exc:
        if exc.response["ResponseMetadata"]["HTTPStatusCode"] == 404:
            raise FileNotFoundError(key) from exc
        raise
