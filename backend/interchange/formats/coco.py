"""COCO keypoints JSON (images + annotations + one keypoint category), with its images.

Visibility: COCO v=0 means "not labeled" (the point is left out), 1 labeled but
not visible (occluded), 2 visible. Track ids, when present, are read from
``attributes.track_id`` (CVAT style) or a top-level ``track_id``; they become
track names.
"""

from __future__ import annotations

import json
from pathlib import Path, PurePosixPath

import numpy as np

from backend.interchange.data import (
    HUMAN,
    MODEL,
    FormatError,
    FrameData,
    InstanceData,
    ProjectData,
    Skeleton,
    frame_poses,
)
from backend.interchange.formats import register
from backend.interchange.formats._common import (
    base_name,
    clean_relative,
    file_inside,
    image_ref,
    image_sequence,
    stem,
    unique,
    write_image,
)
from ml_worker.poses import ABSENT

MAX_JSON_BYTES = 512 * 1024 * 1024


def _looks_like_coco(path: Path) -> bool:
    if path.suffix.lower() != ".json" or not path.is_file():
        return False
    with path.open("rb") as handle:
        head = handle.read(1 << 16)
    return b'"annotations"' in head or b'"categories"' in head or b'"images"' in head


def _json_in(path: Path) -> Path | None:
    if path.is_file():
        return path if _looks_like_coco(path) else None
    if path.is_dir() and not (path / "config.yaml").exists():
        candidates = sorted(path.glob("*.json")) + sorted(path.glob("annotations/*.json"))
        found = [p for p in candidates if _looks_like_coco(p)]
        if found:
            return found[0]
    return None


def _sniff(path: Path) -> bool:
    return _json_in(path) is not None


def _image_file(root: Path, name: str) -> Path | None:
    """The file an image entry names, only inside the upload: as written (relative), under
    images/, or by file name (tools write absolute paths of the machine they ran on)."""
    base = base_name(name)
    for rel in (name, f"images/{name}", f"images/{base}", base):
        found = file_inside(root, rel)
        if found is not None:
            return found
    return None


def _track_of(ann: dict) -> str | None:
    attrs = ann.get("attributes") if isinstance(ann.get("attributes"), dict) else {}
    for value in (attrs.get("track_id"), ann.get("track_id"), attrs.get("track")):
        if value is not None and value != "":
            return str(value)
    return None


def load(path: Path) -> ProjectData:
    json_path = _json_in(path)
    if json_path is None:
        raise FormatError(f"{path.name}: no COCO keypoints JSON found.")
    if json_path.stat().st_size > MAX_JSON_BYTES:
        raise FormatError(f"{json_path.name} is too large.")
    try:
        doc = json.loads(json_path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FormatError(f"{json_path.name} is not valid JSON: {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("images"), list):
        raise FormatError(f"{json_path.name} has no 'images' list: not a COCO file.")
    categories = [
        c for c in doc.get("categories", []) if isinstance(c, dict) and c.get("keypoints")
    ]
    if not categories:
        raise FormatError(f"{json_path.name} has no category with keypoints.")
    nodes = [str(k) for k in categories[0]["keypoints"]]
    if any([str(k) for k in c["keypoints"]] != nodes for c in categories[1:]):
        raise FormatError(
            f"{json_path.name}: categories with different keypoints are not supported."
        )
    edges = []
    for pair in categories[0].get("skeleton") or []:
        a, b = int(pair[0]) - 1, int(pair[1]) - 1  # COCO skeletons are 1-based
        if not (0 <= a < len(nodes) and 0 <= b < len(nodes)):
            raise FormatError(f"{json_path.name}: skeleton edge {pair} names a missing keypoint.")
        edges.append((nodes[a], nodes[b]))
    category_ids = {c.get("id") for c in categories}
    root = json_path.parent
    images: dict[object, dict] = {}
    for image in doc["images"]:
        if not isinstance(image, dict) or not str(image.get("file_name", "")):
            raise FormatError(f"{json_path.name}: an image has no file name.")
        images[image.get("id")] = image
    by_folder: dict[str, list] = {}
    for image in images.values():
        name = str(image["file_name"]).replace("\\", "/")
        image["file_name"] = name
        file = _image_file(root, name)
        if file is None:
            raise FormatError(
                f"Image {name!r} is referenced in {json_path.name} but absent: upload the "
                "COCO JSON in a .zip together with its images."
            )
        ref = image_ref(file, name)
        image["_ref"] = ref
        by_folder.setdefault(str(PurePosixPath(name).parent), []).append(image)
    data = ProjectData(name=stem(json_path.name), skeleton=Skeleton(nodes=nodes, edges=edges))
    used: set[str] = set()
    position: dict[object, tuple[int, int]] = {}
    for folder, group in sorted(by_folder.items()):
        group.sort(key=lambda im: im["file_name"])
        name = unique(stem(folder) if folder not in ("", ".") else "images", used)
        data.videos.append(image_sequence(name, [im["_ref"] for im in group]))
        for i, im in enumerate(group):
            position[im.get("id")] = (len(data.videos) - 1, i)
    frames: dict[tuple[int, int], FrameData] = {
        pos: FrameData(video=pos[0], frame_index=pos[1]) for pos in position.values()
    }
    for ann in doc.get("annotations", []):
        if ann.get("category_id") not in category_ids or "keypoints" not in ann:
            continue
        pos = position.get(ann.get("image_id"))
        if pos is None:
            raise FormatError(
                f"An annotation refers to image id {ann.get('image_id')}, not listed."
            )
        kp = np.asarray(ann["keypoints"], dtype=float)
        if kp.size != 3 * len(nodes):
            raise FormatError(
                f"An annotation has {kp.size // 3} keypoints for {len(nodes)} body parts."
            )
        kp = kp.reshape(-1, 3)
        vis = kp[:, 2].astype(int)
        pts = kp[:, :2].copy()
        pts[vis == 0] = np.nan
        inst = InstanceData(
            points=pts,
            visibility=np.clip(vis, 0, 2),
            track=_track_of(ann),
            source=MODEL if "score" in ann else HUMAN,
            score=float(ann["score"]) if "score" in ann else None,
        )
        if not inst.is_empty():
            frames[pos].instances.append(inst)
    data.frames = [frames[k] for k in sorted(frames)]
    return data


def _save(data: ProjectData, dest: Path) -> None:
    images, annotations = [], []
    used: set[str] = set()
    n_nodes = len(data.skeleton.nodes)
    track_ids = {name: i + 1 for i, name in enumerate(data.all_tracks())}
    for image_id, frame in enumerate(data.frames, start=1):
        video = data.videos[frame.video]
        original = video.image_name(frame.frame_index)
        if original:
            rel = clean_relative(original)
        else:
            rel = f"images/{stem(video.name)}/img{frame.frame_index:06d}.png"
        if not rel.lower().endswith(".png"):
            rel = rel.rsplit(".", 1)[0] + ".png"
        rel = unique(rel, used)
        write_image(video, frame.frame_index, dest / rel)
        width, height = video.image_size(frame.frame_index) or (0, 0)
        images.append({"id": image_id, "file_name": rel, "width": width, "height": height,
                       "frame_index": frame.frame_index, "video": video.name})  # fmt: skip
        arrays = frame_poses(frame.instances, n_nodes)
        for i, inst in enumerate(frame.instances):  # one annotation per animal
            kp = np.zeros((n_nodes, 3))
            ok = arrays.visibility[i] != ABSENT
            kp[ok, :2] = arrays.points[i, ok]
            kp[ok, 2] = arrays.visibility[i, ok]
            if ok.any():
                x0, y0 = arrays.points[i, ok].min(axis=0)
                x1, y1 = arrays.points[i, ok].max(axis=0)
                bbox = [float(x0), float(y0), float(x1 - x0), float(y1 - y0)]
            else:
                bbox = [0.0, 0.0, 0.0, 0.0]
            ann = {
                "id": len(annotations) + 1,
                "image_id": image_id,
                "category_id": 1,
                "keypoints": [float(v) if i % 3 != 2 else int(v) for i, v in enumerate(kp.ravel())],
                "num_keypoints": int(ok.sum()),
                "bbox": bbox,
                "area": bbox[2] * bbox[3],
                "iscrowd": 0,
            }
            if inst.track is not None:
                ann["attributes"] = {"track_id": inst.track}
                ann["track_id"] = track_ids[inst.track]
            if inst.source == MODEL:
                ann["score"] = inst.model_score(default=1.0)
            annotations.append(ann)
    nodes = data.skeleton.nodes
    doc = {
        "info": {"description": data.name, "version": "1.0", "contributor": "PoseForge"},
        "images": images,
        "annotations": annotations,
        "categories": [{
            "id": 1,
            "name": "animal",
            "supercategory": "animal",
            "keypoints": list(nodes),
            "skeleton": [[nodes.index(a) + 1, nodes.index(b) + 1] for a, b in data.skeleton.edges],
        }],
    }  # fmt: skip
    (dest / "annotations.json").write_text(json.dumps(doc), encoding="utf-8")


register("coco", label="COCO keypoints JSON + images", sniff=_sniff, save=_save)(load)
