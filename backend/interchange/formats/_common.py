"""Helpers shared by format modules: image files, safe relative names, DLC-style tables.

Paths named *inside* uploaded files (a table's image column, a COCO ``file_name``, a
SLEAP video filename) are untrusted: ``file_inside`` is the one way format modules
turn them into files. It answers None for anything that is not a plain file reached
from the project folder without ``..``, an absolute or drive path, or a symbolic
link, and callers then give one message whatever the reason, so the answer never
tells whether some path exists on the server.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path, PurePosixPath

import numpy as np
from PIL import Image

from backend.interchange.data import FormatError, ImageRef, VideoData

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff"}
_DRIVE = re.compile(r"^[A-Za-z]:")


def relative_parts(name: str) -> tuple[str, ...] | None:
    """The parts of a relative path, or None for absolute / drive / UNC / '..' / NUL names."""
    posix = str(name).replace("\\", "/")
    if not posix or "\x00" in posix or posix.startswith("/") or _DRIVE.match(posix):
        return None
    parts = tuple(p for p in posix.split("/") if p not in ("", "."))
    if not parts or ".." in parts:
        return None
    return parts


def file_inside(root: Path, name: str) -> Path | None:
    """``root/name`` if it is a regular file reached without following a link, else None."""
    parts = relative_parts(name)
    if parts is None:
        return None
    current, mode = Path(root), 0
    for part in parts:
        current = current / part
        try:
            mode = os.lstat(current).st_mode
        except (OSError, ValueError):
            return None
        if stat.S_ISLNK(mode):
            return None
    return current if stat.S_ISREG(mode) else None


def base_name(name: str) -> str:
    """The last part of a path written on any system (``C:\\data\\a.png`` -> ``a.png``)."""
    return PurePosixPath(str(name).replace("\\", "/")).name


def image_ref(path: Path, name: str) -> ImageRef:
    """Describe an image on disk without decoding it (PIL reads the header only)."""
    try:
        with Image.open(path) as image:
            width, height = image.size
            gray = image.mode in ("L", "I;16", "I", "1")
    except OSError as exc:
        raise FormatError(f"Image {name!r} cannot be read: {exc}") from exc
    return ImageRef(name=name, width=width, height=height, file=path, grayscale=gray)


def clean_relative(name: str) -> str:
    """A relative POSIX path that cannot leave the export folder."""
    parts = [
        p for p in PurePosixPath(name.replace("\\", "/")).parts if p not in ("", ".", "..", "/")
    ]
    parts = [re.sub(r"[^\w.\- ]", "_", p) for p in parts]
    return "/".join(parts) or "image.png"


def stem(name: str) -> str:
    base = PurePosixPath(name.replace("\\", "/")).name
    for suffix in (".pkg.slp", ".slp"):
        if base.endswith(suffix):
            return base[: -len(suffix)]
    return re.sub(r"[^\w.\-]", "_", base.rsplit(".", 1)[0] if "." in base else base) or "video"


def unique(name: str, used: set[str]) -> str:
    candidate, n = name, 2
    while candidate in used:
        candidate = f"{name}_{n}"
        n += 1
    used.add(candidate)
    return candidate


def write_image(video: VideoData, frame_index: int, dest: Path) -> None:
    """Write one frame (cropped back to its original size) as a PNG."""
    rgb = video.image(frame_index)
    dest.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.asarray(rgb)).save(dest, format="PNG", compress_level=1)


def image_sequence(name: str, refs: list[ImageRef]) -> VideoData:
    return VideoData(
        name=name,
        images=refs,
        fps=30.0,
        width=max(r.width for r in refs),
        height=max(r.height for r in refs),
        frame_count=len(refs),
    )
