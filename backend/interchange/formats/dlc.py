"""DeepLabCut projects: config.yaml + labeled-data/<video>/CollectedData_<scorer>.csv/.h5.

Single-animal tables have a three-row column header (scorer / bodyparts / coords);
multi-animal ones four (scorer / individuals / bodyparts / coords), with unique body
parts under the individual ``single``. The row index is the image path relative to
the project root, either as one column (``labeled-data/v/img0.png``) or, in newer
DeepLabCut releases, as three (``labeled-data``, ``v``, ``img0.png``).
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path, PurePosixPath

import numpy as np
import pandas as pd
import yaml

from backend.interchange.data import (
    FormatError,
    FrameData,
    ImageRef,
    InstanceData,
    ProjectData,
    Skeleton,
)
from backend.interchange.formats import register
from backend.interchange.formats._common import (
    IMAGE_SUFFIXES,
    clean_relative,
    image_ref,
    image_sequence,
    stem,
    unique,
    write_image,
)

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
        try:
            df = pd.read_hdf(path, "df_with_missing")
        except (KeyError, OSError, ValueError, ImportError) as exc:
            raise FormatError(f"{path.name} cannot be read as DeepLabCut labels: {exc}") from None
    else:
        n_header, n_index = header_shape(path)
        try:
            df = pd.read_csv(path, header=list(range(n_header)), index_col=list(range(n_index)))
        except (ValueError, pd.errors.ParserError) as exc:
            raise FormatError(f"{path.name} cannot be parsed: {exc}") from None
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
    groups = [None]
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
    out: list[list[InstanceData]] = [[] for _ in range(len(df))]
    for group in groups:
        sel = np.ones(len(columns), bool) if group is None else (level_ind == group)
        xcol = np.full(len(nodes), -1)
        ycol = np.full(len(nodes), -1)
        for j in np.nonzero(sel)[0]:
            k = nodes.index(level_bp[j])
            if level_coord[j] == "x":
                xcol[k] = j
            elif level_coord[j] == "y":
                ycol[k] = j
        has = (xcol >= 0) & (ycol >= 0)
        for i in range(len(df)):
            pts = np.full((len(nodes), 2), np.nan)
            pts[has, 0] = values[i, xcol[has]]
            pts[has, 1] = values[i, ycol[has]]
            missing = np.isnan(pts).any(axis=1)
            pts[missing] = np.nan
            inst = InstanceData(points=pts, track=group, source=source)
            if not inst.is_empty():
                out[i].append(inst)
    return out


def _resolve_image(root: Path, table_dir: Path, rel: str) -> Path | None:
    if ".." in PurePosixPath(rel).parts:
        return None
    for candidate in (root / rel, table_dir / PurePosixPath(rel).name):
        if candidate.is_file():
            return candidate
    return None


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
                # Unlabeled images beside the labeled ones belong to the same sequence.
                for other in sorted(file.parent.iterdir()):
                    other_rel = str(PurePosixPath(folder) / other.name)
                    if other.suffix.lower() in IMAGE_SUFFIXES and other_rel not in refs:
                        refs[other_rel] = image_ref(other, other_rel)
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
    return tables_to_project(
        name=name,
        skeleton=Skeleton(nodes=nodes, edges=edges),
        tables=tables,
        root=root,
        individuals=individuals,
        scorer=scorer,
    )


# --- writing -----------------------------------------------------------------


def is_multi_animal(data: ProjectData) -> bool:
    return any(
        len(f.instances) > 1 or any(i.track is not None for i in f.instances) for f in data.frames
    )


def individuals_for(data: ProjectData) -> list[str]:
    """Tracks first; then enough anonymous slots for the most untracked instances in a frame."""
    names = [t for t in data.all_tracks() if t != UNIQUE_TRACK]
    extra = max((sum(i.track is None for i in f.instances) for f in data.frames), default=0)
    n = 1
    while extra:
        candidate = f"animal{n}"
        n += 1
        if candidate not in names:
            names.append(candidate)
            extra -= 1
    return names


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
            [[data.scorer], nodes, ["x", "y"]], names=["scorer", "bodyparts", "coords"]
        )
    else:
        tuples = [(data.scorer, ind, bp, c) for ind in individuals for bp in animal_parts
                  for c in ("x", "y")]  # fmt: skip
        tuples += [(data.scorer, UNIQUE_TRACK, bp, c) for bp in unique_parts for c in ("x", "y")]
        columns = pd.MultiIndex.from_tuples(
            tuples, names=["scorer", "individuals", "bodyparts", "coords"]
        )
    col_of = {key[1:]: j for j, key in enumerate(columns)}
    values = np.full((len(frames), len(columns)), np.nan)
    for r, frame in enumerate(frames):
        free = [i for i in (individuals or []) if i not in {x.track for x in frame.instances}]
        for inst in frame.instances:
            if individuals is None:
                ind = None
            elif inst.track is not None and (
                inst.track in individuals or inst.track == UNIQUE_TRACK
            ):
                ind = inst.track
            else:
                ind = free.pop(0)
            for k, node in enumerate(nodes):
                x, y = inst.points[k]
                if np.isnan(x) or inst.visibility[k] == 0:
                    continue
                if individuals is None:
                    key_x, key_y = (node, "x"), (node, "y")
                else:
                    owner = UNIQUE_TRACK if node in unique_parts else ind
                    if (ind == UNIQUE_TRACK) != (node in unique_parts):
                        continue
                    key_x, key_y = (owner, node, "x"), (owner, node, "y")
                values[r, col_of[key_x]] = x
                values[r, col_of[key_y]] = y
    index = pd.Index([names[(f.video, f.frame_index)] for f in frames])
    return pd.DataFrame(values, index=index, columns=columns)


def _save(data: ProjectData, dest: Path) -> None:
    multi = is_multi_animal(data)
    individuals = individuals_for(data) if multi else None
    used: set[str] = set()
    folder_for = {i: unique(stem(v.name), used) for i, v in enumerate(data.videos)}
    names = frame_image_names(data, folder_for)
    config: dict = {
        "Task": data.name,
        "scorer": data.scorer,
        "date": "",
        "multianimalproject": multi,
        "project_path": "",
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
    if multi:
        config |= {
            "individuals": individuals,
            "uniquebodyparts": [],
            "multianimalbodyparts": list(data.skeleton.nodes),
            "bodyparts": "MULTI!",
        }
    else:
        config["bodyparts"] = list(data.skeleton.nodes)
    for i, video in enumerate(data.videos):
        if video.path is not None and not video.is_image_sequence:
            target = dest / "videos" / f"{folder_for[i]}{video.path.suffix}"
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(video.path, target)
            crop = f"0, {video.width or 0}, 0, {video.height or 0}"
            config["video_sets"][f"videos/{target.name}"] = {"crop": crop}
    for i, _video in enumerate(data.videos):
        frames = [f for f in data.frames if f.video == i]
        if not frames:
            continue
        folder = dest / "labeled-data" / folder_for[i]
        folder.mkdir(parents=True, exist_ok=True)
        df = build_table(data, frames, names, individuals)
        base = folder / f"CollectedData_{data.scorer}"
        df.to_csv(base.with_suffix(".csv"))
        df.to_hdf(base.with_suffix(".h5"), key="df_with_missing", mode="w", format="table")
        for frame in frames:
            write_image(data.videos[i], frame.frame_index, dest / names[(i, frame.frame_index)])
    with (dest / "config.yaml").open("w", encoding="utf-8") as handle:
        yaml.safe_dump(config, handle, sort_keys=False, allow_unicode=True)


register("dlc", label="DeepLabCut project", sniff=_sniff, save=_save)(load)


__all__ = ["load", "read_table", "build_table", "tables_to_project", "header_shape"]
