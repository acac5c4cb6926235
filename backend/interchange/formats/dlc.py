"""DeepLabCut projects: config.yaml + labeled-data/<video>/CollectedData_<scorer>.csv/.h5.

Single-animal tables have a three-row column header (scorer / bodyparts / coords);
multi-animal ones four (scorer / individuals / bodyparts / coords), with unique body
parts under the individual ``single``. The row index is the image path relative to
the project root, either as one column (``labeled-data/v/img0.png``) or, in newer
DeepLabCut releases, as three (``labeled-data``, ``v``, ``img0.png``).
"""

from __future__ import annotations

from pathlib import Path

from backend.interchange.data import ProjectData
from backend.interchange.formats import register
from backend.interchange.formats._dlc_read import (
    UNIQUE_TRACK,
    header_shape,
    read_project,
    read_table,
    tables_to_project,
)
from backend.interchange.formats._dlc_write import (
    DEFAULT_SCORER,
    build_table,
    dlc_date,
    frame_image_names,
    write_project,
)


def _sniff(path: Path) -> bool:
    if path.is_dir():
        # A folder with labeled-data/ is a DLC project even without config.yaml (load says so).
        if (path / "config.yaml").is_file():
            return True
        has_lp_table = any(path.glob("CollectedData*.csv"))  # Lightning Pose: table at the root
        return (path / "labeled-data").is_dir() and not has_lp_table
    return path.name == "config.yaml"


def load(path: Path) -> ProjectData:
    root = path.parent if path.name == "config.yaml" else path
    return read_project(root)


register("dlc", label="DeepLabCut project", sniff=_sniff, save=write_project)(load)


# Lightning Pose and the export options use these helpers through this module.
__all__ = [
    "DEFAULT_SCORER",
    "UNIQUE_TRACK",
    "build_table",
    "dlc_date",
    "frame_image_names",
    "header_shape",
    "load",
    "read_table",
    "tables_to_project",
]
