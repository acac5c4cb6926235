"""Parse uploaded projects in a child process that cannot do much harm.

Format readers (h5py, sleap-io, PIL, PyAV, pandas) parse files an ordinary user
wrote, so they never run in the worker itself. The worker puts the upload in a
private folder, then starts ``child_main`` in a fresh interpreter which:

1. imports every module a parse needs (as the worker's user: the interpreter may live
   where an unprivileged user cannot read),
2. changes into the folder, caps its own memory / CPU time / file size
   (RLIMIT_AS, RLIMIT_CPU, RLIMIT_FSIZE) and, when it was started as root, drops to
   ``IMPORT_RUN_AS_USER`` (``nobody`` by default) for good,
3. only then reads the upload (relative paths only), encodes image sequences to
   lossless video under ``out/`` and writes ``out/result.json``: the ProjectData as
   plain JSON.

Its environment holds no secrets (no database URL, no SECRET_KEY). The worker reads
the JSON back as data, takes files only from inside the folder and never follows a
link there, and reports the child's own error message, or a plain one when a limit
stopped it.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import signal
import stat
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

from backend.interchange.data import (
    FormatError,
    FrameData,
    ImageRef,
    InstanceData,
    ProjectData,
    Skeleton,
    Suggestion,
    VideoData,
)

logger = logging.getLogger(__name__)
Progress = Callable[[float, str], None]
RESULT = "out/result.json"
MAX_RESULT_BYTES = 512 * 1024 * 1024
REPO = Path(__file__).resolve().parents[2]
_BOOT = "import sys; sys.path.insert(0, sys.argv[1]); from backend.interchange.sandbox import child_main; child_main()"  # noqa: E501


# --- ProjectData <-> JSON --------------------------------------------------------------


def _num(value: float | None) -> float | None:
    return None if value is None or value != value else float(value)  # NaN -> null


def _points(array) -> list:
    return [[_num(x), _num(y)] for x, y in array.tolist()]


def data_to_json(data: ProjectData, root: Path) -> dict:
    """ProjectData as JSON-able dicts; video files as paths relative to ``root``."""
    scalars = {f.name: getattr(data, f.name) for f in dataclasses.fields(data)
               if isinstance(getattr(data, f.name), str | int | float | bool)}  # fmt: skip
    return {
        **scalars,
        "skeleton": dataclasses.asdict(data.skeleton),
        "tracks": list(data.tracks),
        "videos": [_video_json(v, root) for v in data.videos],
        "frames": [_frame_json(f) for f in data.frames],
        "suggestions": [dataclasses.asdict(s) for s in data.suggestions],
    }


def _video_json(video: VideoData, root: Path) -> dict:
    images = None
    if video.images is not None:
        images = [{"name": r.name, "width": r.width, "height": r.height,
                   "original_frame_index": r.original_frame_index, "grayscale": r.grayscale}
                  for r in video.images]  # fmt: skip
    path = os.path.relpath(video.path, root) if video.path is not None else None
    return {"name": video.name, "path": path, "images": images, "fps": video.fps,
            "width": video.width, "height": video.height, "frame_count": video.frame_count}  # fmt: skip


def _frame_json(frame: FrameData) -> dict:
    return {"video": frame.video, "frame_index": frame.frame_index, "status": frame.status,
            "instances": [{"points": _points(i.points), "visibility": i.visibility.tolist(),
                           "track": i.track, "source": i.source, "score": _num(i.score),
                           "scores": None if i.scores is None else [_num(s) for s in i.scores]}
                          for i in frame.instances]}  # fmt: skip


def _opt(kind, value):
    return None if value is None else kind(value)


def _nan(values) -> list:
    return [float("nan") if v is None else float(v) for v in values]


def data_from_json(doc: dict, root: Path) -> ProjectData:
    """The child's answer back as ProjectData; files only inside ``root``, never via links."""
    from backend.interchange.formats._common import file_inside

    names = {f.name for f in dataclasses.fields(ProjectData)}
    scalars = {k: str(v) for k, v in doc.items() if k in names and isinstance(v, str)}
    skel = doc["skeleton"]
    data = ProjectData(
        **scalars,
        skeleton=Skeleton(nodes=[str(n) for n in skel["nodes"]],
                          edges=[(str(a), str(b)) for a, b in skel["edges"]],
                          symmetries=[(str(a), str(b)) for a, b in skel["symmetries"]]),
        tracks=[str(t) for t in doc["tracks"]],
    )  # fmt: skip
    for v in doc["videos"]:
        path = None
        if v["path"] is not None:
            path = file_inside(root, str(v["path"]))
            if path is None:
                raise FormatError(f"The file of video {v['name']!r} is not in the upload.")
        images = None if v["images"] is None else [
            ImageRef(name=str(r["name"]), width=int(r["width"]), height=int(r["height"]),
                     original_frame_index=_opt(int, r["original_frame_index"]),
                     grayscale=bool(r["grayscale"]))
            for r in v["images"]
        ]  # fmt: skip
        data.videos.append(VideoData(
            name=str(v["name"]), path=path, images=images, fps=_opt(float, v["fps"]),
            width=_opt(int, v["width"]), height=_opt(int, v["height"]),
            frame_count=_opt(int, v["frame_count"]),
        ))  # fmt: skip
    for f in doc["frames"]:
        instances = [InstanceData(
            points=[_nan(p) for p in i["points"]], visibility=[int(x) for x in i["visibility"]],
            track=_opt(str, i["track"]), source=str(i["source"]), score=_opt(float, i["score"]),
            scores=None if i["scores"] is None else _nan(i["scores"]),
        ) for i in f["instances"]]  # fmt: skip
        data.frames.append(FrameData(video=int(f["video"]), frame_index=int(f["frame_index"]),
                                     instances=instances, status=_opt(str, f["status"])))  # fmt: skip
    data.suggestions = [Suggestion(int(s["video"]), int(s["frame_index"]), int(s["group"]))
                        for s in doc["suggestions"]]  # fmt: skip
    data.validate()
    return data


# --- the child ---------------------------------------------------------------------------


def _say(**message: object) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def _preload() -> None:
    """Import what a parse may need while files are still readable (see the module doc)."""
    import csv  # noqa: F401
    import zipfile  # noqa: F401

    import h5py  # noqa: F401
    import imageio.v3  # noqa: F401
    import pandas.io.parsers  # noqa: F401
    import PIL.Image
    import sleap_io  # noqa: F401
    import sleap_io.io.slp  # noqa: F401
    import sleap_io.io.video_reading  # noqa: F401
    import yaml  # noqa: F401

    from backend.interchange import encode, formats  # noqa: F401

    sys.modules["backend.interchange.formats.nwb"] = None  # type: ignore[assignment] # write-only
    formats.formats()
    PIL.Image.init()
    for name in _EXTRA_MODULES:
        try:
            __import__(name)
        except ImportError:
            pass


# Imported lazily by the readers above on some inputs; loaded up front (see _preload).
_EXTRA_MODULES = (
    "encodings.idna", "encodings.latin_1", "encodings.ascii", "encodings.utf_16",
    "json.decoder", "decimal", "fractions", "uuid", "gzip", "bz2", "lzma", "tarfile",
    "pandas.io.formats.format", "pandas.core.computation.expressions",
    "sleap_io.io.skeleton", "sleap_io.model.labels", "simplejson", "imageio.plugins.pillow",
    "imageio.plugins.pyav", "imageio.core.legacy_plugin_wrapper", "PIL.PngImagePlugin",
    "PIL.JpegImagePlugin", "PIL.TiffImagePlugin", "PIL.BmpImagePlugin",
)  # fmt: skip


def _confine(config: dict) -> None:
    import resource

    for limit, value in ((resource.RLIMIT_AS, config["memory_bytes"]),
                         (resource.RLIMIT_CPU, config["cpu_seconds"]),
                         (resource.RLIMIT_FSIZE, config["file_bytes"]),
                         (resource.RLIMIT_CORE, 0)):  # fmt: skip
        if value:
            resource.setrlimit(limit, (value, value))
    uid, gid = config.get("uid"), config.get("gid")
    if os.geteuid() == 0 and uid is not None:
        os.setgroups([])
        os.setgid(gid)
        os.setuid(uid)
        if os.geteuid() == 0 or os.getuid() == 0:
            raise SystemExit("could not drop root privileges")


def _encode_sequences(data: ProjectData) -> None:
    from backend.interchange.encode import encode_images

    total = sum(len(v.images or []) for v in data.videos) or 1
    done = 0

    def tick(_k: int) -> None:
        nonlocal done
        done += 1
        if done % 10 == 0:
            _say(progress=0.05 + 0.75 * done / total, message=f"Encoding images ({done}/{total})")

    for i, video in enumerate(data.videos):
        if video.images is not None:
            dest = Path("out") / f"{i:03d}.mkv"
            encode_images(video.images, dest, tick)
            video.path = dest


def child_main() -> None:
    """Entry point of the parse process: argv[2] is its JSON config (see ``parse``)."""
    config = json.loads(sys.argv[2])
    _preload()
    _confine(config)
    tempfile.tempdir = "tmp"
    from backend.interchange import formats

    try:
        _say(progress=0.0, message="Reading the project")
        data = formats.load(Path(config["input"]))
        _encode_sequences(data)
        doc = data_to_json(data, Path("."))
        Path(RESULT).write_text(json.dumps(doc), encoding="utf-8")
    except FormatError as exc:
        _say(error=str(exc))
        raise SystemExit(2) from None
    except MemoryError:
        _say(error="memory")
        raise SystemExit(3) from None
    _say(progress=0.8, message="Saving labels")


# --- the worker side -----------------------------------------------------------------------


class ParseError(Exception):
    """The upload could not be parsed; the message is for the user."""


def _run_as() -> tuple[int, int] | None:
    """(uid, gid) to drop to when the worker is root; None otherwise."""
    import pwd

    from django.conf import settings

    if os.geteuid() != 0:
        return None
    name = settings.IMPORT_RUN_AS_USER
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        raise ParseError(
            f"Imports are switched off: IMPORT_RUN_AS_USER={name!r} is not a user on the worker."
        ) from None
    if entry.pw_uid == 0:
        raise ParseError("Imports are switched off: IMPORT_RUN_AS_USER must not be root.")
    return entry.pw_uid, entry.pw_gid


def _hand_over(work: Path, ids: tuple[int, int] | None) -> None:
    """Make the folder the child's own (without following any link in it)."""
    for name in ("out", "tmp"):
        (work / name).mkdir(exist_ok=True)
    if ids is None:
        return
    for folder, dirs, files in os.walk(work):
        for name in [*dirs, *files]:
            os.chown(os.path.join(folder, name), *ids, follow_symlinks=False)
    os.chown(work, *ids)
    os.chmod(work, stat.S_IRWXU)


def _limits(ids: tuple[int, int] | None) -> dict:
    from django.conf import settings

    config = {
        "memory_bytes": settings.IMPORT_MAX_MEMORY_MB * 1024 * 1024,
        "cpu_seconds": settings.IMPORT_MAX_SECONDS,
        "file_bytes": 2 * settings.IMPORT_MAX_UNCOMPRESSED_BYTES,
    }
    if ids is not None:
        config["uid"], config["gid"] = ids
    return config


def _child_env(work: Path) -> dict[str, str]:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8",
           "HOME": str(work / "tmp"), "TMPDIR": str(work / "tmp")}  # fmt: skip
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[name] = "1"
    return env


def _watch(process: subprocess.Popen, on_progress: Progress) -> str | None:
    error = None
    assert process.stdout is not None
    for line in process.stdout:
        try:
            message = json.loads(line)
        except ValueError:
            continue
        if not isinstance(message, dict):
            continue
        if "error" in message:
            error = str(message["error"])
        elif "progress" in message:
            on_progress(float(message["progress"]), str(message.get("message", ""))[:200])
    return error


def _explain(code: int, error: str | None, timed_out: bool, stderr: str) -> str:
    from django.conf import settings

    if error == "memory" or (code != 0 and "MemoryError" in stderr):
        return (f"Reading the upload needed more than {settings.IMPORT_MAX_MEMORY_MB} MB of "
                "memory (IMPORT_MAX_MEMORY_MB); refusing it.")  # fmt: skip
    if error:
        return error
    if timed_out or code in (-signal.SIGXCPU, -signal.SIGKILL):
        return (f"Reading the upload took longer than {settings.IMPORT_MAX_SECONDS} s "
                "(IMPORT_MAX_SECONDS); refusing it.")  # fmt: skip
    if code == -signal.SIGXFSZ:
        return "Reading the upload wrote a file larger than the import size limit; refusing it."
    return "The upload could not be read (the import reader stopped unexpectedly)."


def parse(work: Path, input_rel: str, on_progress: Progress) -> ProjectData:
    """Parse ``work/input_rel`` in the sandboxed child; ``work`` is a private folder that
    holds the upload and nothing else. Raises ParseError with a message for the user."""
    from django.conf import settings

    ids = _run_as()
    _hand_over(work, ids)
    config = {"input": input_rel, **_limits(ids)}
    with tempfile.TemporaryFile() as stderr:
        process = subprocess.Popen(
            [sys.executable, "-I", "-c", _BOOT, str(REPO), json.dumps(config)],
            cwd=work, env=_child_env(work), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=stderr, text=True, start_new_session=True,
        )  # fmt: skip
        timer = threading.Timer(settings.IMPORT_MAX_SECONDS * 1.5 + 30, _kill, (process,))
        timer.start()
        try:
            error = _watch(process, on_progress)
            code = process.wait()
        finally:
            timed_out = not timer.is_alive() and process.returncode != 0
            timer.cancel()
            _kill(process)
        stderr.seek(0)
        tail = stderr.read()[-4000:].decode("utf-8", errors="replace")
    if code != 0:
        if error is None:
            logger.warning("import parse process ended with %s: %s", code, tail)
        raise ParseError(_explain(code, error, timed_out, tail))
    return _result(work)


def _kill(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _result(work: Path) -> ProjectData:
    from backend.interchange.formats._common import file_inside

    path = file_inside(work, RESULT)
    if path is None or path.stat().st_size > MAX_RESULT_BYTES:
        raise ParseError("The upload could not be read (the import reader gave no result).")
    try:
        return data_from_json(json.loads(path.read_text(encoding="utf-8")), work)
    except FormatError as exc:
        raise ParseError(str(exc)) from None
    except (ValueError, KeyError, TypeError, IndexError):
        raise ParseError(
            "The upload could not be read (the import reader gave a bad result)."
        ) from None


__all__ = ["ParseError", "child_main", "data_from_json", "data_to_json", "parse"]
