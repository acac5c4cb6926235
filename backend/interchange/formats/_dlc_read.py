"""Reading DeepLabCut label tables and config.yaml (also used by Lightning Pose).

A table's header and row index take the shapes described in
:mod:`backend.interchange.formats.dlc`; H5 tables are read without unpickling
(:mod:`backend.interchange.formats._hdf5`).
"""

from __future__ import annotations

import csv
from pathlib import Path, PurePosixPath

import numpy as np
import pandas as pd
import yaml

from backend.common.csvsafe import unescape_table
from backend.interchange.data import (
    FormatError,
    FrameData,
    ImageRef,
    InstanceData,
    ProjectData,
    Skeleton,
    instances_from_poses,
)
from backend.interchange.formats._common import (
    IMAGE_SUFFIXES,
    base_name,
    file_inside,
    image_ref,
    image_sequence,
    stem,
    unique,
)
from backend.interchange.formats._hdf5 import read_pandas_hdf
from ml_worker.poses import VISIBLE, FramePoses

# DeepLabCut's pseudo-animal that carries the unique (not per-animal) body parts.
UNIQUE_TRACK = "single"


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


def read_project(root: Path) -> ProjectData:
    """A DeepLabCut project folder (config.yaml + labeled-data/) -> ProjectData."""
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
