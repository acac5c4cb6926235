"""Writing a DeepLabCut project folder: config.yaml, label tables (CSV + H5), images.

The tables are laid out exactly as DeepLabCut writes them (see
:mod:`backend.interchange.formats.dlc`), so DeepLabCut reads the export as its own.
"""

from __future__ import annotations

import datetime
import re
import shutil
from pathlib import Path, PurePosixPath

import numpy as np
import pandas as pd
import yaml

from backend.common.csvsafe import write_csv
from backend.interchange.data import FrameData, ProjectData, frame_poses
from backend.interchange.formats._common import clean_relative, stem, unique, write_image
from backend.interchange.formats._dlc_read import UNIQUE_TRACK
from ml_worker.poses import ABSENT


def is_multi_animal(data: ProjectData) -> bool:
    return any(
        len(f.instances) > 1 or any(i.track is not None for i in f.instances) for f in data.frames
    )


def individuals_for(data: ProjectData) -> list[str]:
    """Tracks first; then ``individual1..n`` for the most untracked instances in a frame."""
    names = [t for t in data.all_tracks() if t != UNIQUE_TRACK]
    extra = max((sum(i.track is None for i in f.instances) for f in data.frames), default=0)
    n = 1
    while extra:
        candidate = f"individual{n}"
        n += 1
        if candidate not in names:
            names.append(candidate)
            extra -= 1
    return names


def unique_parts_for(data: ProjectData) -> list[str]:
    """Body parts labeled only on DeepLabCut's ``single`` pseudo-animal: its uniquebodyparts."""
    on_single = np.zeros(len(data.skeleton.nodes), bool)
    elsewhere = on_single.copy()
    for frame in data.frames:
        for inst in frame.instances:
            target = on_single if inst.track == UNIQUE_TRACK else elsewhere
            target |= inst.labeled
    return [n for n, u, e in zip(data.skeleton.nodes, on_single, elsewhere, strict=True)
            if u and not e]  # fmt: skip


def frame_image_names(data: ProjectData, folder_for: dict[int, str]) -> dict[tuple[int, int], str]:
    """Image path (relative to the project root) of every exported frame."""
    names: dict[tuple[int, int], str] = {}
    used: set[str] = set()
    for frame in data.frames:
        video = data.videos[frame.video]
        original = video.image_name(frame.frame_index)
        base = PurePosixPath(clean_relative(original)).name if original else ""
        if not base or PurePosixPath(base).suffix.lower() != ".png":
            base = (PurePosixPath(base).stem or f"img{frame.frame_index:05d}") + ".png"
        rel = unique(f"labeled-data/{folder_for[frame.video]}/{base}", used)
        names[(frame.video, frame.frame_index)] = rel
    return names


def build_table(
    data: ProjectData,
    frames: list[FrameData],
    names: dict[tuple[int, int], str],
    individuals: list[str] | None,
    unique_parts: list[str] | None = None,
) -> pd.DataFrame:
    """A DLC label DataFrame exactly as DeepLabCut writes it (float64, NaN for missing)."""
    nodes = data.skeleton.nodes
    unique_parts = unique_parts or []
    animal_parts = [n for n in nodes if n not in unique_parts]
    if individuals is None:
        columns = pd.MultiIndex.from_product(
            [[export_scorer(data)], nodes, ["x", "y"]], names=["scorer", "bodyparts", "coords"]
        )
    else:
        scorer = export_scorer(data)
        tuples = [(scorer, ind, bp, c) for ind in individuals for bp in animal_parts
                  for c in ("x", "y")]  # fmt: skip
        tuples += [(scorer, UNIQUE_TRACK, bp, c) for bp in unique_parts for c in ("x", "y")]
        columns = pd.MultiIndex.from_tuples(
            tuples, names=["scorer", "individuals", "bodyparts", "coords"]
        )
    col_of = {key[1:]: j for j, key in enumerate(columns)}
    values = np.full((len(frames), len(columns)), np.nan)
    for r, frame in enumerate(frames):
        arrays = frame_poses(frame.instances, len(nodes))
        for i, owner in enumerate(_owners(arrays.tracks, individuals)):
            for k in np.flatnonzero(arrays.visibility[i] != ABSENT):
                node = nodes[k]
                if owner is not None and (owner == UNIQUE_TRACK) != (node in unique_parts):
                    continue  # unique parts live on "single" only, animal parts never there
                prefix = (node,) if owner is None else (owner, node)
                values[r, col_of[(*prefix, "x")]] = arrays.points[i, k, 0]
                values[r, col_of[(*prefix, "y")]] = arrays.points[i, k, 1]
    index = pd.Index([names[(f.video, f.frame_index)] for f in frames])
    return pd.DataFrame(values, index=index, columns=columns)


def _owners(tracks: list[str | None], individuals: list[str] | None) -> list[str | None]:
    """The individual each instance is written as: its track, else the next free one."""
    if individuals is None:
        return [None] * len(tracks)
    known = set(individuals) | {UNIQUE_TRACK}
    free = [i for i in individuals if i not in tracks]
    return [t if t in known else free.pop(0) for t in tracks]


MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
DEFAULT_SCORER = "poseforge"


def dlc_date(day: datetime.date) -> str:
    """The ``date`` DeepLabCut's create_new_project writes: month abbreviation + day, "Oct30"."""
    return f"{MONTHS[day.month - 1]}{day.day}"  # not strftime: %b follows the locale


def export_scorer(data: ProjectData) -> str:
    """The scorer written to the tables and file names; safe as part of a file name."""
    return re.sub(r"[^\w.+@-]", "_", data.scorer)[:100].strip(".") or DEFAULT_SCORER


def project_folder(data: ProjectData, today: datetime.date) -> str:
    """The project folder the zip holds, named as DeepLabCut names it: Task-scorer-YYYY-MM-DD."""
    task = re.sub(r"[^\w.+@-]", "_", data.task or data.name).strip(".") or "project"
    return f"{task[:80]}-{export_scorer(data)}-{today.isoformat()}"


def _config(data: ProjectData, individuals: list[str] | None, unique_parts: list[str],
            project_path: str) -> dict:
    config: dict = {
        "Task": data.task or data.name,
        "scorer": export_scorer(data),
        "date": data.date or dlc_date(datetime.date.today()),
        "multianimalproject": individuals is not None,
        "identity": None,
        # DeepLabCut's read_config replaces project_path with the folder config.yaml is in
        # whenever they differ, so the folder's own name is enough until it is first read.
        "project_path": project_path,
        "engine": "pytorch",
        "video_sets": {},
        "start": 0,
        "stop": 1,
        "numframes2pick": 20,
        "pcutoff": 0.6,
        "dotsize": 12,
        "alphavalue": 0.7,
        "colormap": "rainbow",
        "TrainingFraction": [0.95],
        "iteration": 0,
        "default_net_type": "resnet_50",
        "snapshotindex": -1,
        "batch_size": 8,
        "skeleton": [[a, b] for a, b in data.skeleton.edges],
        "skeleton_color": "black",
    }
    if individuals is not None:
        config |= {
            "individuals": individuals,
            "uniquebodyparts": unique_parts,
            "multianimalbodyparts": [n for n in data.skeleton.nodes if n not in unique_parts],
            "bodyparts": "MULTI!",
        }
    else:
        config["bodyparts"] = list(data.skeleton.nodes)
    return config


def _write_videos(data: ProjectData, root: Path, folder_for: dict[int, str]) -> dict:
    """Copy video files (not image sequences) to videos/; their video_sets entries."""
    video_sets = {}
    for i, video in enumerate(data.videos):
        if video.path is not None and not video.is_image_sequence:
            target = root / "videos" / f"{folder_for[i]}{video.path.suffix}"
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(video.path, target)
            crop = f"0, {video.width or 0}, 0, {video.height or 0}"
            video_sets[f"videos/{target.name}"] = {"crop": crop}
    return video_sets


def _write_labels(
    data: ProjectData,
    root: Path,
    folder_for: dict[int, str],
    individuals: list[str] | None,
    unique_parts: list[str],
) -> None:
    names = frame_image_names(data, folder_for)
    for i, video in enumerate(data.videos):
        frames = [f for f in data.frames if f.video == i]
        if not frames:
            continue
        folder = root / "labeled-data" / folder_for[i]
        folder.mkdir(parents=True, exist_ok=True)
        df = build_table(data, frames, names, individuals, unique_parts)
        base = folder / f"CollectedData_{export_scorer(data)}"
        write_csv(df, base.with_suffix(".csv"))  # text cells escaped for spreadsheets
        df.to_hdf(base.with_suffix(".h5"), key="df_with_missing", mode="w", format="table")
        for frame in frames:
            write_image(video, frame.frame_index, root / names[(i, frame.frame_index)])


def write_project(data: ProjectData, dest: Path) -> None:
    """Write a DeepLabCut project folder (named Task-scorer-date, as DeepLabCut does) in dest."""
    individuals = individuals_for(data) if is_multi_animal(data) else None
    unique_parts = unique_parts_for(data) if individuals is not None else []
    root = dest / project_folder(data, datetime.date.today())
    root.mkdir(parents=True, exist_ok=True)
    used: set[str] = set()
    folder_for = {i: unique(stem(v.name), used) for i, v in enumerate(data.videos)}
    config = _config(data, individuals, unique_parts, project_path=root.name)
    config["video_sets"] = _write_videos(data, root, folder_for)
    _write_labels(data, root, folder_for, individuals, unique_parts)
    with (root / "config.yaml").open("w", encoding="utf-8") as handle:
        yaml.safe_dump(config, handle, sort_keys=False, allow_unicode=True)
