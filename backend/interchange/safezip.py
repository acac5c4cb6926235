"""Zip files from users: list-check first, then extract into a temp folder only.

Refused: absolute paths (``/x``, ``C:\\x``), ``..`` components, links and other
non-regular entries, more than ``max_entries()`` entries, more than
IMPORT_MAX_UNCOMPRESSED_BYTES uncompressed, and any entry that inflates more than
IMPORT_MAX_COMPRESSION_RATIO times (a zip bomb). Sizes are checked against the
central directory and again while extracting, where an entry may not grow past
the size it declared, since headers can lie.
"""

from __future__ import annotations

import re
import stat
import zipfile
from pathlib import Path, PurePosixPath

from django.conf import settings

from backend.common.exceptions import ApplicationError

RATIO_FLOOR = 1024 * 1024  # entries smaller than this are never zip bombs, whatever the ratio


def max_total_bytes() -> int:
    return int(settings.IMPORT_MAX_UNCOMPRESSED_BYTES)


def _bomb(what: str) -> ApplicationError:
    return ApplicationError(f"{what}; refusing it (possible zip bomb).")


def _check_ratio(info: zipfile.ZipInfo) -> None:
    ratio = int(settings.IMPORT_MAX_COMPRESSION_RATIO)
    if info.file_size > RATIO_FLOOR and info.file_size > ratio * max(info.compress_size, 1):
        raise _bomb(f"Zip entry {info.filename!r} inflates more than {ratio} times")


def max_entries() -> int:
    return int(getattr(settings, "INTERCHANGE_MAX_ZIP_ENTRIES", 50_000))


_DRIVE = re.compile(r"^[A-Za-z]:")


def _bad_name(name: str) -> str | None:
    if "\x00" in name:
        return "contains a NUL character"
    posix = name.replace("\\", "/")
    if posix.startswith("/") or _DRIVE.match(posix):
        return "is an absolute path"
    if ".." in PurePosixPath(posix).parts:
        return "climbs out of the archive with '..'"
    return None


def check_zip(path: Path) -> list[zipfile.ZipInfo]:
    """Validate the listing of a zip; raise ApplicationError naming the first problem."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        raise ApplicationError("The uploaded file is not a valid zip archive.") from None
    with archive:
        infos = archive.infolist()
    if len(infos) > max_entries():
        raise ApplicationError(
            f"The zip holds {len(infos)} entries; at most {max_entries()} are accepted."
        )
    total = 0
    for info in infos:
        problem = _bad_name(info.filename)
        if problem:
            raise ApplicationError(f"Zip entry {info.filename!r} {problem}; refusing the archive.")
        mode = info.external_attr >> 16
        kind = stat.S_IFMT(mode)  # 0 when the archiver stored permission bits only
        if kind and kind not in (stat.S_IFREG, stat.S_IFDIR):
            raise ApplicationError(f"Zip entry {info.filename!r} is a link or special file.")
        if info.flag_bits & 0x1:
            raise ApplicationError("Encrypted zip archives are not supported.")
        _check_ratio(info)
        total += info.file_size
        if total > max_total_bytes():
            raise _bomb(f"The zip unpacks to more than {max_total_bytes() // (1024 * 1024)} MB")
    return infos


def extract_zip(path: Path, dest: Path) -> None:
    """Extract a checked zip into ``dest`` (an empty temp folder), counting real bytes."""
    infos = check_zip(path)
    dest = dest.resolve()
    budget = max_total_bytes()
    with zipfile.ZipFile(path) as archive:
        for info in infos:
            name = info.filename.replace("\\", "/")
            target = (dest / name).resolve()
            if not target.is_relative_to(dest):
                raise ApplicationError(f"Zip entry {info.filename!r} leaves the archive folder.")
            if info.is_dir() or name.endswith("/"):
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(info) as src, target.open("wb") as out:
                left = info.file_size
                while chunk := src.read(1 << 20):
                    budget -= len(chunk)
                    left -= len(chunk)
                    if budget < 0 or left < 0:
                        raise _bomb("The zip unpacks to more than its declared size")
                    out.write(chunk)


def project_root(folder: Path) -> Path:
    """Descend through a single top-level folder (how zipped project folders look)."""
    current = folder
    while True:
        entries = [p for p in current.iterdir() if p.name not in ("__MACOSX", ".DS_Store")]
        if len(entries) == 1 and entries[0].is_dir() and entries[0].name != "labeled-data":
            current = entries[0]
            continue
        return current


def zip_folder(folder: Path, dest: Path) -> Path:
    """Zip every file under ``folder`` (paths relative to it) into ``dest``."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    stored = {".png", ".jpg", ".mp4", ".mkv", ".avi", ".mov", ".h5", ".slp"}
    with zipfile.ZipFile(dest, "w") as archive:
        for file in sorted(p for p in folder.rglob("*") if p.is_file()):
            method = zipfile.ZIP_STORED if file.suffix.lower() in stored else zipfile.ZIP_DEFLATED
            archive.write(file, file.relative_to(folder).as_posix(), compress_type=method)
    return dest


__all__ = ["check_zip", "extract_zip", "project_root", "zip_folder"]
