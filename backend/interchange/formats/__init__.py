"""Format registry: one module per external format, a thin facade on top.

Each format module registers itself with ``@register(name, ...)`` giving a
``sniff(path) -> bool`` (for ``load``), a ``load(path) -> ProjectData`` and,
where the format can be written, a ``save(data, dest_dir) -> None``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from backend.interchange.data import FormatError, ProjectData


@dataclass(frozen=True)
class Format:
    name: str
    label: str
    sniff: Callable[[Path], bool]
    load: Callable[[Path], ProjectData] | None
    save: Callable[[ProjectData, Path], None] | None


_FORMATS: dict[str, Format] = {}


def register(
    name: str,
    *,
    label: str,
    sniff: Callable[[Path], bool],
    save: Callable[[ProjectData, Path], None] | None = None,
) -> Callable[[Callable[[Path], ProjectData]], Callable[[Path], ProjectData]]:
    """Decorate a format's loader: ``@register("dlc", label=..., sniff=..., save=...)``."""

    def decorator(loader: Callable[[Path], ProjectData]) -> Callable[[Path], ProjectData]:
        _FORMATS[name] = Format(name, label, sniff, loader, save)
        return loader

    return decorator


def register_writer(name: str, *, label: str, save: Callable[[ProjectData, Path], None]) -> None:
    """A write-only format (no loader)."""
    _FORMATS[name] = Format(name, label, lambda _path: False, None, save)


def formats() -> dict[str, Format]:
    _ensure_loaded()
    return dict(_FORMATS)


def export_formats() -> list[str]:
    return [name for name, fmt in formats().items() if fmt.save is not None]


# Most specific first; a module imported early elsewhere must not change who sniffs first.
_SNIFF_ORDER = ("coco", "dlc", "lightning_pose", "sleap")


def detect(path: Path) -> Format:
    _ensure_loaded()
    ordered = sorted(_FORMATS.values(), key=lambda f: (
        _SNIFF_ORDER.index(f.name) if f.name in _SNIFF_ORDER else len(_SNIFF_ORDER)
    ))  # fmt: skip
    for fmt in ordered:
        if fmt.load is not None and fmt.sniff(path):
            return fmt
    raise FormatError(
        f"{path.name!r} is not a project PoseForge can import: expected a DeepLabCut project "
        "folder (with config.yaml), a SLEAP .slp / .pkg.slp file, a COCO keypoints JSON "
        "(with its images) or a Lightning Pose CollectedData.csv."
    )


def load(path: Path, format: str | None = None) -> ProjectData:
    """Read any supported project (format detected unless given) into ProjectData."""
    path = Path(path)
    fmt = formats().get(format) if format else detect(path)
    if fmt is None or fmt.load is None:
        raise FormatError(f"Unknown import format {format!r}.")
    data = fmt.load(path)
    data.format = fmt.name
    data.validate()
    return data


def save(data: ProjectData, path: Path, format: str) -> Path:
    """Write ProjectData as ``format`` into the folder ``path`` (created if needed)."""
    fmt = formats().get(format)
    if fmt is None or fmt.save is None:
        known = ", ".join(export_formats())
        raise FormatError(f"Unknown export format {format!r} (use one of: {known}).")
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    fmt.save(data, path)
    return path


_LOADED = False


def _ensure_loaded() -> None:
    global _LOADED
    if _LOADED:
        return
    # Import order is sniffing order: the most specific formats first.
    from backend.interchange.formats import coco, dlc, lightning_pose, sleap  # noqa: F401

    try:
        from backend.interchange.formats import nwb  # noqa: F401
    except ImportError:  # pynwb / ndx-pose not installed: no NWB export
        pass
    _LOADED = True


__all__ = ["FormatError", "ProjectData", "detect", "export_formats", "formats", "load", "save"]
