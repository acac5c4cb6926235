"""SLEAP labels (.slp) and packages with embedded frames (.pkg.slp), through sleap-io.

User instances become human labels; predicted instances are kept apart as
source "model" (with their score). Videos a .slp refers to are read from disk
(sleap-io finds them by name beside the file); embedded frames become an image
sequence whose images remember their frame number in the source video.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from backend.interchange.data import (
    HUMAN,
    MODEL,
    FormatError,
    FrameData,
    ImageRef,
    InstanceData,
    ProjectData,
    Skeleton,
    Suggestion,
    VideoData,
    frame_poses,
    instances_from_poses,
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
)
from ml_worker.poses import ABSENT, OCCLUDED, VISIBLE, FramePoses


def _slp_in(path: Path) -> Path | None:
    if path.is_file() and path.name.endswith(".slp"):
        return path
    if path.is_dir():
        found = sorted(path.glob("*.slp"))
        if len(found) == 1:
            return found[0]
    return None


def _sniff(path: Path) -> bool:
    return _slp_in(path) is not None


def _open(path: Path):
    import h5py
    import sleap_io as sio

    try:
        with h5py.File(path, "r") as handle:
            if "metadata" not in handle:
                raise FormatError(
                    f"{path.name} is not a SLEAP labels file this version can read "
                    "(no metadata group; SLEAP's old JSON format is not supported)."
                )
    except OSError:
        raise FormatError(
            f"{path.name} is not a SLEAP HDF5 labels file (unsupported SLEAP version or format)."
        ) from None
    try:
        # Never open_videos: a .slp names any path (or URL) on any machine as its video.
        return sio.load_slp(str(path), open_videos=False)
    except FormatError:
        raise
    except Exception as exc:  # noqa: BLE001 - sleap-io raises many kinds; all mean "unreadable"
        raise FormatError(
            f"{path.name} cannot be read as SLEAP labels (unsupported SLEAP version or format): "
            f"{exc}"
        ) from None


def _local_file(slp: Path, name: str) -> Path | None:
    """A file the .slp names, looked up only beside it in the upload: as written when that
    is a relative path inside, else by file name (as sleap-io resolves moved videos)."""
    return file_inside(slp.parent, name) or file_inside(slp.parent, base_name(name))


def _open_embedded(video, slp: Path) -> bool:
    """Open the video if its frames are stored in the uploaded .slp itself."""
    if not isinstance(video.filename, str) or video.filename != slp.as_posix():
        return False
    try:
        video.open()
    except Exception as exc:  # noqa: BLE001 - sleap-io raises many kinds; all mean "unreadable"
        raise FormatError(f"The frames embedded in {slp.name} cannot be read: {exc}") from None
    return True


def _embedded_frames(video) -> list[int] | None:
    backend = video.backend
    if type(backend).__name__ != "HDF5Video" or not getattr(backend, "has_embedded_images", True):
        return None
    frame_map = getattr(backend, "frame_map", None) or {}
    if not frame_map:
        return None
    return sorted(int(k) for k in frame_map)


def _embedded_loader(video, frame_idx: int):
    def load() -> np.ndarray:
        image = np.asarray(video[frame_idx])
        return image[:, :, 0] if image.ndim == 3 and image.shape[2] == 1 else image

    return load


def _frame_instances(lf, nodes: list[str]) -> list[InstanceData]:
    """A labeled frame's user instances (human) then predicted ones (model), via the codec.

    A prediction's invisible points are not predictions: they become absent.
    """
    found = [(i, HUMAN) for i in lf.user_instances] + [(i, MODEL) for i in lf.predicted_instances]
    n, k = len(found), len(nodes)
    points, vis = np.full((n, k, 2), np.nan), np.zeros((n, k), np.int8)
    scores, score = np.full((n, k), np.nan), np.full(n, np.nan)
    for row, (inst, source) in enumerate(found):
        cols = [nodes.index(name) for name in inst.skeleton.node_names]
        visible = np.asarray(inst.points["visible"], dtype=bool)
        points[row, cols] = np.asarray(inst.points["xy"], dtype=float)
        vis[row, cols] = np.where(visible, VISIBLE, OCCLUDED if source == HUMAN else ABSENT)
        if source == MODEL and "score" in (inst.points.dtype.names or ()):
            scores[row, cols] = np.asarray(inst.points["score"], dtype=float)
        if getattr(inst, "score", None) is not None:
            score[row] = float(inst.score)
    tracks = [i.track.name if i.track is not None else None for i, _ in found]
    arrays = FramePoses(points, vis, tracks, scores, score)
    keep = np.flatnonzero((arrays.visibility != ABSENT).any(axis=1))
    return instances_from_poses(arrays.select(keep), [found[r][1] for r in keep])


def load(path: Path) -> ProjectData:
    slp = _slp_in(path)
    if slp is None:
        raise FormatError(f"{path.name} is not a SLEAP .slp file.")
    labels = _open(slp)
    if not labels.skeletons:
        raise FormatError(f"{slp.name} has no skeleton.")
    names = [list(s.node_names) for s in labels.skeletons]
    if any(n != names[0] for n in names[1:]):
        raise FormatError(f"{slp.name} has several different skeletons; PoseForge keeps one.")
    skel = labels.skeletons[0]
    nodes = list(skel.node_names)
    edges = [(nodes[a], nodes[b]) for a, b in skel.edge_inds]
    symmetries = []
    for sym in skel.symmetries:
        pair = sorted((n.name for n in sym.nodes), key=nodes.index)
        if len(pair) == 2:
            symmetries.append((pair[0], pair[1]))
    data = ProjectData(
        name=stem(slp.name),
        skeleton=Skeleton(nodes=nodes, edges=edges, symmetries=symmetries),
        tracks=[t.name for t in labels.tracks],
    )
    frame_position: dict[int, dict[int, int] | None] = {}
    used: set[str] = set()
    for vi, video in enumerate(labels.videos):
        embedded = _embedded_frames(video) if _open_embedded(video, slp) else None
        source = video.source_video.filename if video.source_video is not None else video.filename
        source = source if isinstance(source, str) else (source[0] if source else "video")
        name = unique(stem(source), used)
        if embedded is not None:
            shape = video.shape  # (frames, height, width, channels)
            refs = [
                ImageRef(
                    name=f"{name}/img{n:06d}.png",
                    width=int(shape[2]),
                    height=int(shape[1]),
                    loader=_embedded_loader(video, n),
                    original_frame_index=n,
                    grayscale=int(shape[3]) == 1,
                )
                for n in embedded
            ]
            data.videos.append(image_sequence(name, refs))
            frame_position[vi] = {n: i for i, n in enumerate(embedded)}
            continue
        filename = video.filename
        if isinstance(filename, list):
            refs_files = [_local_file(slp, str(f)) for f in filename]
            missing = [str(f) for f, found in zip(filename, refs_files, strict=True) if not found]
            if missing:
                raise FormatError(f"Image {base_name(missing[0])!r} of {slp.name} is absent.")
            refs = [image_ref(f, clean_relative(f"{name}/{f.name}")) for f in refs_files]
            data.videos.append(image_sequence(name, refs))
        else:
            file = _local_file(slp, str(filename))
            if file is None:
                raise FormatError(
                    f"{slp.name} refers to the video {base_name(str(filename))!r}, which is absent. "
                    "Put the video file next to the .slp (in the same zip) or upload a .pkg.slp "
                    "with embedded frames."
                )
            data.videos.append(VideoData(name=file.name, path=file))
        frame_position[vi] = None
    video_index = {id(v): i for i, v in enumerate(labels.videos)}
    for lf in labels.labeled_frames:
        vi = video_index[id(lf.video)]
        pos = frame_position[vi]
        frame_index = int(lf.frame_idx) if pos is None else pos.get(int(lf.frame_idx))
        if frame_index is None:
            raise FormatError(f"Frame {lf.frame_idx} is labeled but not embedded in {slp.name}.")
        data.frames.append(FrameData(video=vi, frame_index=frame_index,
                                     instances=_frame_instances(lf, nodes)))  # fmt: skip
    for suggestion in labels.suggestions:
        vi = video_index.get(id(suggestion.video))
        if vi is None:
            continue
        pos = frame_position[vi]
        frame_index = (
            int(suggestion.frame_idx) if pos is None else pos.get(int(suggestion.frame_idx))
        )
        if frame_index is not None:
            group = suggestion.metadata.get("group", 0) if suggestion.metadata else 0
            data.suggestions.append(Suggestion(vi, frame_index, int(group or 0)))
    return data


register("sleap", label="SLEAP .slp / .pkg.slp", sniff=_sniff)(load)


# --- writing -----------------------------------------------------------------


def _to_labels(data: ProjectData, dest: Path, embed: bool):
    import sleap_io as sio
    from PIL import Image

    skeleton = sio.Skeleton(
        list(data.skeleton.nodes),
        edges=[tuple(e) for e in data.skeleton.edges],
        symmetries=[tuple(s) for s in data.skeleton.symmetries],
    )
    tracks = {name: sio.Track(name) for name in data.all_tracks()}
    videos: list = []
    frame_idx_of: list[dict[int, int]] = []  # per video: our frame index -> SLEAP frame_idx
    used: set[str] = set()
    scratch = dest / ".frames"
    for vi, video in enumerate(data.videos):
        labeled = sorted({f.frame_index for f in data.frames if f.video == vi} | {
            s.frame_index for s in data.suggestions if s.video == vi
        })  # fmt: skip
        if embed or video.is_image_sequence:
            # Frames as PNG files -> sleap-io ImageVideo; its frame_idx is the list position.
            folder = (scratch if embed else dest) / unique(stem(video.name), used)
            mapping: dict[int, int] = {}
            files: dict[int, str] = {}
            for index in labeled if embed else range(len(video.images or [])):
                ref = video.images[index] if video.images else None
                original = ref.original_frame_index if ref else None
                target = original if (embed and original is not None) else index
                if embed or ref is None:
                    out = folder / f"img{target:06d}.png"
                else:
                    out = dest / clean_relative(ref.name)
                out.parent.mkdir(parents=True, exist_ok=True)
                image = np.asarray(video.image(index))
                if ref is not None and ref.grayscale and image.ndim == 3:
                    image = image[:, :, 0]
                Image.fromarray(image).save(out, format="PNG", compress_level=1)
                mapping[index] = target
                files[target] = str(out if embed else out.relative_to(dest))
            if not files:
                continue_video = sio.Video(filename=str(folder), open_backend=False)
                videos.append(continue_video)
                frame_idx_of.append(mapping)
                continue
            # Pad the list so frame numbers stay the source video's frame numbers.
            first = files[min(files)]
            filenames = [files.get(i, first) for i in range(max(files) + 1)]
            videos.append(sio.Video(filename=filenames, open_backend=embed))
            frame_idx_of.append(mapping)
        else:
            # Beside the .slp: sleap-io (and SLEAP) find a video there by its file name.
            target = dest / unique(video.name, used)
            shutil.copyfile(video.path, target)
            videos.append(sio.Video(filename=str(target.relative_to(dest)), open_backend=False))
            frame_idx_of.append({i: i for i in labeled})
    frames = []
    for frame in data.frames:
        instances = []
        arrays = frame_poses(frame.instances, len(data.skeleton.nodes))
        for i, inst in enumerate(frame.instances):  # one SLEAP instance per animal
            track = tracks.get(inst.track) if inst.track is not None else None
            if inst.source == MODEL:
                new = sio.PredictedInstance.from_numpy(
                    arrays.points[i], skeleton, point_scores=_point_scores(arrays, i),
                    score=inst.model_score(), track=track,
                )  # fmt: skip
            else:
                new = sio.Instance.from_numpy(arrays.points[i], skeleton, track=track)
                new.points["visible"][arrays.visibility[i] == OCCLUDED] = False
            instances.append(new)
        frames.append(
            sio.LabeledFrame(
                video=videos[frame.video],
                frame_idx=frame_idx_of[frame.video][frame.frame_index],
                instances=instances,
            )
        )
    suggestions = [
        sio.SuggestionFrame(
            videos[s.video], frame_idx_of[s.video].get(s.frame_index, s.frame_index)
        )
        for s in data.suggestions
    ]
    return sio.Labels(
        labeled_frames=frames,
        videos=videos,
        skeletons=[skeleton],
        tracks=list(tracks.values()),
        suggestions=suggestions,
    ), scratch


def _point_scores(arrays: FramePoses, row: int) -> np.ndarray:
    """Per-point scores for SLEAP (1.0 where a predicted point has no score, 0 where no point)."""
    scores = np.nan_to_num(arrays.scores[row].astype(float), nan=1.0)
    scores[arrays.visibility[row] == ABSENT] = 0.0
    return scores


def _save_slp(data: ProjectData, dest: Path) -> None:
    import sleap_io as sio

    labels, _ = _to_labels(data, dest, embed=False)
    sio.save_slp(labels, str(dest / f"{stem(data.name) or 'labels'}.slp"))


def _save_pkg(data: ProjectData, dest: Path) -> None:
    import sleap_io as sio

    labels, scratch = _to_labels(data, dest, embed=True)
    embed = [(lf.video, lf.frame_idx) for lf in labels.labeled_frames]
    embed += [
        (s.video, s.frame_idx) for s in labels.suggestions if (s.video, s.frame_idx) not in embed
    ]
    try:
        sio.save_slp(
            labels, str(dest / f"{stem(data.name) or 'labels'}.pkg.slp"), embed=embed, verbose=False
        )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


register("slp", label="SLEAP labels (.slp + videos)", sniff=lambda _p: False, save=_save_slp)(load)
register(
    "pkg.slp", label="SLEAP package (.pkg.slp, frames embedded)", sniff=lambda _p: False,
    save=_save_pkg,
)(load)  # fmt: skip
