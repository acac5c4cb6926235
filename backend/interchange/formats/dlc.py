"""DeepLabCut projects: config.yaml + labeled-data/<video>/CollectedData_<scorer>.csv/.h5.

Single-animal tables have a three-row column header (scorer / bodyparts / coords);
multi-animal ones four (scorer / individuals / bodyparts / coords), with unique body
parts under the individual ``single``. The row index is the image path relative to
the project root, either as one column (``labeled-data/v/img0.png``) or, in newer
DeepLabCut releases, as three (``labeled-data``, ``v``, ``img0.png``).
"""

from __future__ import annotations

import csv
import datetime
import re
import shutil
from pathlib import Path, PurePosixPath

import numpy as np
import pandas as pd
import yaml

from backend.common.csvsafe import unescape_table, write_csv
from backend.interchange.data import (
    FormatError,
    FrameData,
    ImageRef,
    InstanceData,
    ProjectData,
    Skeleton,
    frame_poses,
    instances_from_poses,
)
from backend.interchange.formats import register
from backend.interchange.formats._common import (
    IMAGE_SUFFIXES,
    base_name,
    clean_relative,
    file_inside,
    image_ref,
    image_sequence,
    stem,
    unique,
    write_image,
)
from backend.interchange.formats._hdf5 import read_pandas_hdf
from ml_worker.poses import ABSENT, VISIBLE, FramePoses

UNIQUE_TRACK = "single"


# --- reading -----------------------------------------------------------------


def _sniff(path: Path) -> bool:
    if path.is_dir():
        # A folder with labeled-data/ is a DLC project even without config.yaml (load says so).
        if (path / "config.yaml").is_file():
            return True
        has_lp_table = any(path.glob("CollectedData*.csv"))  # Lightning Pose: table at the root
        return (path / "labeled-data").is_dir() and not has_lp_table
    return path.name == "config.yaml"


def read_config(root: Path) -> dict:
    config_path = root / "config.yaml"
    if not config_path.is_file():
        raise FormatError("config.yaml is missing: a DeepLabCut project folder must contain it.")
    try:
        config = yaml.safe_load(config_path.read_text(encoding="utf-8", errors="replace"))
    except yaml.YAMLError as exc:
        raise FormatError(f"config.yaml is not valid YAML: {exc}") from None
    if not isinstance(config, dict):
        raise FormatError("config.yaml does not hold a DeepLabCut project configuration.")
    return config


def _names(value, what: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str | int) for v in value):
        raise FormatError(f"config.yaml: {what} must be a list of names.")
    return [str(v) for v in value]


def header_shape(csv_path: Path) -> tuple[int, int]:
    """(number of header rows, number of index columns) of a DLC-style CSV."""
    with csv_path.open(newline="", encoding="utf-8", errors="replace") as handle:
        rows = []
        for row in csv.reader(handle):
            rows.append(row)
            if len(rows) >= 6:
                break
    if not rows or not rows[0] or rows[0][0] != "scorer":
        raise FormatError(f"{csv_path.name} is not a DeepLabCut label table (no 'scorer' row).")
    n_header = next((i + 1 for i, r in enumerate(rows) if r and r[0] == "coords"), 0)
    if n_header not in (3, 4):
        raise FormatError(f"{csv_path.name}: expected 3 or 4 header rows ending with 'coords'.")
    n_index = 1
    while n_index < len(rows[0]) and rows[0][n_index] == "":
        n_index += 1
    return n_header, n_index


def read_table(path: Path) -> pd.DataFrame:
    """A DLC label table (CSV or H5) with columns (scorer, [individuals,] bodyparts, coords)."""
    if path.suffix == ".h5":
        # Never pandas.read_hdf: it unpickles, and the file comes from a user.
        df = read_pandas_hdf(path, "df_with_missing")
    else:
        n_header, n_index = header_shape(path)
        try:
            df = pd.read_csv(path, header=list(range(n_header)), index_col=list(range(n_index)))
        except (ValueError, pd.errors.ParserError) as exc:
            raise FormatError(f"{path.name} cannot be parsed: {exc}") from None
        df = unescape_table(df)  # names our CSV export guarded against spreadsheet formulas
    if df.columns.nlevels not in (3, 4):
        raise FormatError(f"{path.name}: unexpected column header with {df.columns.nlevels} rows.")
    if not df.columns.get_level_values(-1).isin(["x", "y", "likelihood"]).all():
        raise FormatError(f"{path.name}: the last header row must hold x / y coordinates.")
    return df


def row_image_path(key) -> str:
    """The image path of one table row (one-column or three-column index)."""
    if isinstance(key, tuple):
        parts = [str(k) for k in key if isinstance(k, str) and k and k != "nan"]
        return "/".join(parts)
    return str(key).replace("\\", "/")


def table_instances(
    df: pd.DataFrame, nodes: list[str], individuals: list[str] | None, source: str
) -> list[list[InstanceData]]:
    """Per row, the instances it holds (single animal: at most one, no track)."""
    columns = df.columns
    multi = columns.nlevels == 4
    level_bp = columns.get_level_values(-2).astype(str)
    level_coord = columns.get_level_values(-1).astype(str)
    level_ind = columns.get_level_values(1).astype(str) if multi else None
    unknown = sorted(set(level_bp) - set(nodes))
    if unknown:
        raise FormatError(
            f"Body part {unknown[0]!r} appears in the labels but is not in the skeleton "
            "(config.yaml)."
        )
    groups: list[str | None] = [None]
    if multi:
        groups = list(dict.fromkeys(level_ind))
        allowed = set(individuals or []) | {UNIQUE_TRACK}
        strangers = [g for g in groups if g not in allowed]
        if individuals is not None and strangers:
            raise FormatError(
                f"Individual {strangers[0]!r} appears in the labels but is not listed in "
                "config.yaml individuals."
            )
    values = df.to_numpy(dtype=float, na_value=np.nan)
    # Column j of the table is cell (row, individual, body part, x|y) of a pose grid.
    grid = np.full((len(df), len(groups), len(nodes), 2), np.nan)
    for j, coord in enumerate(level_coord):
        if coord in ("x", "y"):
            g = groups.index(level_ind[j]) if level_ind is not None else 0
            grid[:, g, nodes.index(level_bp[j]), "xy".index(coord)] = values[:, j]
    out = []
    for row in grid:
        arrays = FramePoses(row, np.full(row.shape[:2], VISIBLE), list(groups)).present()
        out.append(instances_from_poses(arrays, [source] * arrays.num_instances))
    return out


def _resolve_image(root: Path, table_dir: Path, rel: str) -> Path | None:
    """The image a table row names, only inside the project (else None, whatever the cause).

    Absolute paths (tables written on another machine) are matched by file name beside
    the table, as DeepLabCut itself does after a project moves."""
    folder = table_dir.relative_to(root).as_posix() if table_dir != root else ""
    beside = f"{folder}/{base_name(rel)}" if folder else base_name(rel)
    return file_inside(root, rel) or file_inside(root, beside)


def tables_to_project(
    *,
    name: str,
    skeleton: Skeleton,
    tables: list[tuple[Path, pd.DataFrame]],
    root: Path,
    individuals: list[str] | None,
    scorer: str,
) -> ProjectData:
    """Shared by DeepLabCut and Lightning Pose: label tables + images -> ProjectData."""
    data = ProjectData(name=name, skeleton=skeleton, scorer=scorer)
    folder_refs: dict[str, dict[str, ImageRef]] = {}
    rows: list[tuple[str, str, list[InstanceData]]] = []
    scanned: set[str] = set()
    for table_path, df in tables:
        per_row = table_instances(df, skeleton.nodes, individuals, "human")
        for key, instances in zip(df.index, per_row, strict=True):
            rel = row_image_path(key)
            file = _resolve_image(root, table_path.parent, rel)
            if file is None:
                raise FormatError(
                    f"Image {rel!r} is referenced in {table_path.name} but absent from the project."
                )
            folder = str(PurePosixPath(rel).parent)
            refs = folder_refs.setdefault(folder, {})
            if rel not in refs:
                refs[rel] = image_ref(file, rel)
            if folder not in scanned:
                scanned.add(folder)
                # Unlabeled images beside the labeled ones belong to the same sequence
                # (``file`` is inside the project; links beside it are skipped).
                for other in sorted(file.parent.iterdir()):
                    other_rel = str(PurePosixPath(folder) / other.name)
                    plain = file_inside(file.parent, other.name)
                    if plain and other.suffix.lower() in IMAGE_SUFFIXES and other_rel not in refs:
                        refs[other_rel] = image_ref(plain, other_rel)
            rows.append((folder, rel, instances))
    used: set[str] = set()
    positions: dict[str, tuple[int, dict[str, int]]] = {}
    for folder, refs in folder_refs.items():
        ordered = [refs[k] for k in sorted(refs)]
        video_name = unique(stem(folder) if folder not in ("", ".") else "images", used)
        data.videos.append(image_sequence(video_name, ordered))
        positions[folder] = (len(data.videos) - 1, {r.name: i for i, r in enumerate(ordered)})
    seen: set[tuple[int, int]] = set()
    for folder, rel, instances in rows:
        video_index, lookup = positions[folder]
        key = (video_index, lookup[rel])
        if key in seen:
            raise FormatError(f"Image {rel!r} is labeled twice.")
        seen.add(key)
        data.frames.append(FrameData(video=video_index, frame_index=key[1], instances=instances))
    data.tracks = [t for t in (individuals or []) if any(
        i.track == t for f in data.frames for i in f.instances
    )]  # fmt: skip
    return data


def _find_tables(root: Path, scorer: str | None) -> list[Path]:
    labeled = root / "labeled-data"
    if not labeled.is_dir():
        raise FormatError("labeled-data/ is missing: the DeepLabCut project has no labels.")
    found = []
    for folder in sorted(p for p in labeled.iterdir() if p.is_dir()):
        csvs = sorted(folder.glob("CollectedData_*.csv"))
        h5s = sorted(folder.glob("CollectedData_*.h5"))
        preferred = [p for p in csvs if scorer and p.stem == f"CollectedData_{scorer}"]
        pick = preferred or csvs or h5s
        if pick:
            found.append(pick[0])
    if not found:
        raise FormatError("No CollectedData_<scorer>.csv or .h5 found under labeled-data/<video>/.")
    return found


def load(path: Path) -> ProjectData:
    root = path.parent if path.name == "config.yaml" else path
    config = read_config(root)
    multi = bool(config.get("multianimalproject"))
    individuals = None
    if multi:
        individuals = _names(config.get("individuals"), "individuals")
        animal_parts = _names(config.get("multianimalbodyparts"), "multianimalbodyparts")
        nodes = animal_parts + _names(config.get("uniquebodyparts"), "uniquebodyparts")
    else:
        nodes = _names(config.get("bodyparts"), "bodyparts")
    if not nodes:
        raise FormatError("config.yaml lists no body parts.")
    edges = []
    for edge in config.get("skeleton") or []:
        if not isinstance(edge, list) or len(edge) != 2:
            raise FormatError("config.yaml: each skeleton entry must join two body parts.")
        a, b = str(edge[0]), str(edge[1])
        for part in (a, b):
            if part not in nodes:
                raise FormatError(f"config.yaml skeleton names {part!r}, which is not a body part.")
        edges.append((a, b))
    scorer = str(config.get("scorer") or "poseforge")
    tables = [(p, read_table(p)) for p in _find_tables(root, scorer)]
    task = str(config.get("Task") or root.name)
    name = "-".join(str(v) for v in (task, config.get("scorer"), config.get("date")) if v)
    data = tables_to_project(
        name=name,
        skeleton=Skeleton(nodes=nodes, edges=edges),
        tables=tables,
        root=root,
        individuals=individuals,
        scorer=scorer,
    )
    data.task, data.date = task, str(config.get("date") or "")  # written back on export
    return data


# --- writing -----------------------------------------------------------------


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


def _save(data: ProjectData, dest: Path) -> None:
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


register("dlc", label="DeepLabCut project", sniff=_sniff, save=_save)(load)


__all__ = ["load", "read_table", "build_table", "tables_to_project", "header_shape"]
