"""Lightning Pose data sets: a DeepLabCut-style CollectedData.csv at the data set root.

The table has DeepLabCut's three-row header; its index is the image path relative
to the data set folder (``labeled-data/img01.png``). There is no config.yaml, so
the skeleton is the body parts of the table, in order, without edges.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from backend.common.csvsafe import write_csv
from backend.interchange.data import FormatError, ProjectData, Skeleton
from backend.interchange.formats import register
from backend.interchange.formats._common import stem, unique, write_image
from backend.interchange.formats.dlc import (
    build_table,
    frame_image_names,
    read_table,
    tables_to_project,
)


def _csv_in(path: Path) -> Path | None:
    if path.is_file() and path.suffix.lower() == ".csv":
        return path
    if path.is_dir() and not (path / "config.yaml").exists():
        found = sorted(path.glob("CollectedData*.csv"))
        if found:
            return found[0]
    return None


def _sniff(path: Path) -> bool:
    return _csv_in(path) is not None


def load(path: Path) -> ProjectData:
    csv_path = _csv_in(path)
    if csv_path is None:
        raise FormatError(f"{path.name}: no Lightning Pose CollectedData.csv found.")
    df = read_table(csv_path)
    if df.columns.nlevels != 3:
        raise FormatError("Lightning Pose tables are single-animal (three header rows).")
    nodes = list(dict.fromkeys(df.columns.get_level_values(1).astype(str)))
    scorer = str(df.columns.get_level_values(0)[0])
    return tables_to_project(
        name=stem(csv_path.parent.name or csv_path.name),
        skeleton=Skeleton(nodes=nodes),
        tables=[(csv_path, df)],
        root=csv_path.parent,
        individuals=None,
        scorer=scorer,
    )


def _save(data: ProjectData, dest: Path) -> None:
    if any(len(f.instances) > 1 for f in data.frames):
        raise FormatError("Lightning Pose holds one animal per frame; this project has more.")
    used: set[str] = set()
    folder_for = {i: unique(stem(v.name), used) for i, v in enumerate(data.videos)}
    names = frame_image_names(data, folder_for)
    df = build_table(data, data.frames, names, None)
    if not len(df):
        df = pd.DataFrame(columns=df.columns)
    write_csv(df, dest / "CollectedData.csv")  # text cells escaped for spreadsheets
    for frame in data.frames:
        video = data.videos[frame.video]
        write_image(video, frame.frame_index, dest / names[(frame.video, frame.frame_index)])


register("lightning_pose", label="Lightning Pose CSV + images", sniff=_sniff, save=_save)(load)
