"""NWB (Neurodata Without Borders) export with the ndx-pose extension; write-only.

One ``.nwb`` file plus the frames it refers to, in the layout ndx-pose 0.2+ describes:

- ``processing/behavior/Skeletons``: one ``Skeleton`` (node names, edges as node-index pairs).
- one external-file ``ImageSeries`` per video: the video file copied under ``videos/``, or,
  for an image sequence, every image of the sequence as PNG under ``videos/<name>/`` (so
  frame k of the series is image k). Paths are relative to the .nwb file.
- ``processing/behavior/PoseTraining`` (only if there are human labels): one
  ``TrainingFrame`` per labeled frame holding its human instances as ``SkeletonInstance``
  (NaN + ``node_visibility`` False where a point is not labeled); its ``SourceVideos``
  own the ImageSeries.
- ``processing/behavior/PoseEstimation_<video>_<track>[_model]``: per video, per track
  (untracked instances: per slot ``instanceN``, in frame order) and per source, one
  ``PoseEstimation`` with a ``PoseEstimationSeries`` per node: (x, y) in pixels at
  timestamps ``frame_index / fps`` (NaN where the node is not labeled), confidence 1 for
  human labels and the model's per-point score for predictions (NaN when unknown).

sleap-io 0.9's own ``save_nwb`` is not used: its annotation writer needs opened video
backends and stores their absolute paths, and its prediction writer expects SLEAP's
own module naming; writing ndx-pose directly keeps the zip self-contained.

:func:`save_predictions` writes one inference run (a single ``.nwb``, no video) the way
SLEAP's prediction writer lays it out, so sleap-io's ``load_nwb`` reads it back:
``processing/behavior/Skeletons`` and a module ``SLEAP_VIDEO_000_<video>`` holding one
``PoseEstimation`` per track, ``track=<name>`` (untracked instance slots:
``track=untracked<n>``), with a series per node on the rows where that animal was found.
"""

from __future__ import annotations

import re
import shutil
import uuid
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import ndx_pose  # noqa: F401 - an ImportError here leaves NWB out of the registry
import numpy as np
import pynwb  # noqa: F401

from backend.interchange.data import HUMAN, MODEL, FormatError, ProjectData, frame_poses
from backend.interchange.formats import register_writer
from backend.interchange.formats._common import clean_relative, stem, unique
from ml_worker.poses import ABSENT, PoseArrays


def _nwb_name(text: str) -> str:
    """NWB object names may not contain '/' (and ':' is awkward)."""
    return re.sub(r"[/:\\]", "_", text).strip() or "unnamed"


def _image_series(data: ProjectData, vi: int, dest: Path, used: set[str]):
    """(ImageSeries, fps) for one video; writes its files under dest/videos/."""
    from PIL import Image
    from pynwb.image import ImageSeries

    video = data.videos[vi]
    fps = float(video.fps or 30.0)
    folder = unique(stem(video.name), used)
    if video.images is not None:
        files = []
        for k, ref in enumerate(video.images):
            base = Path(clean_relative(ref.name)).stem or f"img{k:06d}"
            rel = f"videos/{folder}/{k:06d}_{base}.png"
            out = dest / rel
            out.parent.mkdir(parents=True, exist_ok=True)
            image = np.asarray(video.image(k))
            if ref.grayscale and image.ndim == 3:
                image = image[:, :, 0]
            Image.fromarray(image).save(out, format="PNG", compress_level=1)
            files.append(rel)
        starting = list(range(len(files)))
        width = max(r.width for r in video.images)
        height = max(r.height for r in video.images)
        count = len(files)
    else:
        if video.path is None:
            raise FormatError(f"Video {video.name!r} has no file to export.")
        rel = f"videos/{folder}{video.path.suffix}"
        (dest / "videos").mkdir(parents=True, exist_ok=True)
        shutil.copyfile(video.path, dest / rel)
        files, starting = [rel], [0]
        width, height = int(video.width or 0), int(video.height or 0)
        count = int(video.frame_count or 1)
    series = ImageSeries(
        name=_nwb_name(f"video_{vi}_{folder}"),
        description=f"Video {video.name!r} (external file, relative to the .nwb file)",
        unit="NA",
        format="external",
        external_file=files,
        starting_frame=starting,
        dimension=[int(width), int(height)],
        rate=fps,
        num_samples=count,
    )
    return series, fps


def _slot_tracks(data: ProjectData, vi: int) -> dict[tuple[int, int], str]:
    """(frame position, instance position) -> series group name, for one video."""
    out = {}
    for fi, frame in enumerate(data.frames):
        if frame.video != vi:
            continue
        slot = 0
        for ii, inst in enumerate(frame.instances):
            if inst.track is not None:
                out[(fi, ii)] = inst.track
            else:
                slot += 1
                out[(fi, ii)] = f"instance{slot}"
    return out


def _save(data: ProjectData, dest: Path) -> None:
    from ndx_pose import (
        PoseEstimation,
        PoseEstimationSeries,
        PoseTraining,
        Skeleton,
        SkeletonInstance,
        SkeletonInstances,
        Skeletons,
        SourceVideos,
        TrainingFrame,
        TrainingFrames,
    )
    from pynwb import NWBHDF5IO, NWBFile

    nodes = list(data.skeleton.nodes)
    index = {n: i for i, n in enumerate(nodes)}
    nwbfile = NWBFile(
        session_description=f"PoseForge export of project {data.name!r}",
        identifier=uuid.uuid4().hex,
        session_start_time=datetime.now(UTC),
        source_script="PoseForge",
        source_script_file_name="backend/interchange/formats/nwb.py",
    )
    behavior = nwbfile.create_processing_module(
        name="behavior", description="Pose labels exported from PoseForge"
    )
    if len(nodes) > 255:
        raise FormatError("NWB (ndx-pose) skeletons hold at most 255 body parts.")
    edges = np.array([[index[a], index[b]] for a, b in data.skeleton.edges], dtype="uint8").reshape(
        -1, 2
    )
    skeleton = Skeleton(name=_nwb_name(data.name or "skeleton"), nodes=nodes, edges=edges)
    behavior.add(Skeletons(skeletons=[skeleton]))

    used: set[str] = set()
    series_of = [_image_series(data, vi, dest, used) for vi in range(len(data.videos))]

    # PoseTraining: the human labels, frame by frame.
    training = []
    for fi, frame in enumerate(data.frames):
        humans = [i for i in frame.instances if i.source == HUMAN]
        if not humans:
            continue
        arrays = frame_poses(humans, len(nodes))
        instances = [
            SkeletonInstance(
                name=f"instance_{k}",
                id=np.uint8(k),
                node_locations=arrays.points[k],
                node_visibility=arrays.visibility[k] != ABSENT,
                skeleton=skeleton,
            )
            for k in range(arrays.num_instances)
        ]
        training.append(
            TrainingFrame(
                name=f"frame_{fi:06d}",
                annotator="PoseForge",
                skeleton_instances=SkeletonInstances(skeleton_instances=instances),
                source_video=series_of[frame.video][0],
                source_video_frame_index=np.uint32(frame.frame_index),
            )
        )
    if training:
        behavior.add(
            PoseTraining(
                training_frames=TrainingFrames(training_frames=training),
                source_videos=SourceVideos(image_series=[s for s, _ in series_of]),
            )
        )
    else:
        for series, _ in series_of:
            nwbfile.add_acquisition(series)

    # PoseEstimation: per video, track (or instance slot) and source, a series per node.
    for vi, video in enumerate(data.videos):
        series, fps = series_of[vi]
        groups: dict[tuple[str, str], list[tuple[int, object]]] = {}
        for (fi, ii), track in _slot_tracks(data, vi).items():
            inst = data.frames[fi].instances[ii]
            groups.setdefault((track, inst.source), []).append((data.frames[fi].frame_index, inst))
        for (track, source), items in groups.items():
            items.sort(key=lambda item: item[0])
            frames = np.array([f for f, _ in items], dtype=float)
            # One row per frame of this animal: (frames, nodes, 2), NaN where not labeled.
            arrays = frame_poses([inst for _, inst in items], len(nodes))
            found = arrays.visibility != ABSENT
            conf = np.where(found, 1.0 if source == HUMAN else arrays.scores.astype(float), np.nan)
            all_series = []
            for k, node in enumerate(nodes):
                all_series.append(
                    PoseEstimationSeries(
                        name=_nwb_name(node),
                        description=f"{node} ({'model prediction' if source == MODEL else 'human label'})",
                        data=arrays.points[:, k],
                        unit="pixels",
                        reference_frame="(0,0) is the top-left corner of the video frame",
                        timestamps=frames / fps,
                        confidence=conf[:, k],
                        confidence_definition=(
                            "Model score of the point"
                            if source == MODEL
                            else "1 for a human-labeled point"
                        ),
                    )
                )
            name = f"PoseEstimation_{stem(video.name)}_{track}"
            if source == MODEL:
                name += "_model"
            behavior.add(
                PoseEstimation(
                    name=_nwb_name(unique(name, used)),
                    pose_estimation_series=all_series,
                    description=(
                        f"Track {track!r} in video {video.name!r}; timestamps are frame "
                        f"index / {fps:g} fps (frame index = timestamp * {fps:g})."
                    ),
                    scorer="model" if source == MODEL else (data.scorer or "human"),
                    source_software="PoseForge",
                    skeleton=skeleton,
                    source_video=series,
                )
            )
    with NWBHDF5IO(str(dest / f"{stem(data.name) or 'labels'}.nwb"), mode="w") as io:
        io.write(nwbfile)


register_writer("nwb", label="NWB (ndx-pose)", save=_save)


@dataclass(frozen=True)
class RunPredictions:
    """One video's predictions for :func:`save_predictions`.

    Attributes:
        poses: the run's arrays, ``points (F, I, K, 2)`` with ``tracks (F, I)``.
        frame_indices: ``(F,)`` video frame of each row.
        nodes: K node names; edges: node-index pairs.
        video_name, fps, width, height, frame_count: the video the poses are on.
        scorer: who made them (the model version).
    """

    poses: PoseArrays
    frame_indices: np.ndarray
    nodes: list[str]
    edges: list[tuple[int, int]]
    video_name: str
    fps: float
    width: int
    height: int
    frame_count: int
    scorer: str


def _columns(poses: PoseArrays) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """``(animal, rows, slots)``: each track on the rows where it was found, then each
    untracked instance slot that holds someone (a track in two slots keeps the first)."""
    found = np.isfinite(poses.points).all(-1).any(-1)  # (F, I)
    out = []
    for t, name in enumerate(poses.track_names):
        cells = found & (poses.tracks == t)
        rows = np.flatnonzero(cells.any(1))
        if len(rows):
            out.append((name, rows, cells[rows].argmax(1)))
    for slot in range(poses.points.shape[1]):
        rows = np.flatnonzero(found[:, slot] & (poses.tracks[:, slot] < 0))
        if len(rows):
            out.append((f"untracked{slot + 1}", rows, np.full(len(rows), slot)))
    return out


def _run_video(run: RunPredictions, fps: float):
    """The video as an external-file ImageSeries: its name, relative to the .nwb file."""
    from pynwb.image import ImageSeries

    return ImageSeries(
        name="video",
        description=f"Video {run.video_name!r} (not included; place it beside the .nwb file)",
        unit="NA",
        format="external",
        external_file=[Path(run.video_name).name],
        starting_frame=[0],
        dimension=[int(run.width), int(run.height)],
        rate=fps,
        num_samples=int(run.frame_count),
    )


def save_predictions(run: RunPredictions, dest: Path) -> Path:
    """Write ``run`` as one ``.nwb`` file at ``dest``; returns ``dest``.

    Timestamps are ``frame_index / fps`` (frame index = timestamp * fps); confidence
    is the model's score of each point, NaN where the node was not found.
    """
    from ndx_pose import PoseEstimation, PoseEstimationSeries, Skeleton, Skeletons
    from pynwb import NWBHDF5IO, NWBFile

    if not 0 < len(run.nodes) <= 255:
        raise FormatError("NWB (ndx-pose) skeletons hold 1 to 255 body parts.")
    nwbfile = NWBFile(
        session_description=f"PoseForge predictions on {run.video_name!r}",
        identifier=uuid.uuid4().hex,
        session_start_time=datetime.now(UTC),
        source_script="PoseForge",
        source_script_file_name="backend/interchange/formats/nwb.py",
    )
    edges = np.array(run.edges, dtype="uint8").reshape(-1, 2)
    skeleton = Skeleton(name="skeleton", nodes=list(run.nodes), edges=edges)
    nwbfile.create_processing_module(name="behavior", description="The skeleton").add(
        Skeletons(skeletons=[skeleton])
    )
    module = nwbfile.create_processing_module(
        name=_nwb_name(f"SLEAP_VIDEO_000_{Path(run.video_name).stem}"),
        description=f"PoseForge predictions on {run.video_name!r} (SLEAP's module naming)",
    )
    fps = float(run.fps or 30.0)
    video = _run_video(run, fps)
    nwbfile.add_acquisition(video)
    poses = run.poses
    for animal, rows, slots in _columns(poses):
        points, scores = poses.points[rows, slots], poses.scores[rows, slots]  # (R, K, 2), (R, K)
        series: list[PoseEstimationSeries] = []
        for k, node in enumerate(run.nodes):
            series.append(
                PoseEstimationSeries(
                    name=_nwb_name(node),
                    description=f"{node} of {animal} (model prediction)",
                    data=points[:, k].astype(np.float64),
                    unit="pixels",
                    reference_frame="(0,0) is the top-left corner of the video frame",
                    # Stored once per animal: the other nodes link to the first one's.
                    timestamps=series[0] if series else run.frame_indices[rows] / fps,
                    confidence=scores[:, k].astype(np.float64),
                    confidence_definition="Model score of the point; NaN where not found",
                )
            )
        with warnings.catch_warnings():  # original_videos is deprecated, sleap-io needs it
            warnings.filterwarnings("ignore", "The 'original_videos'", DeprecationWarning)
            pose = PoseEstimation(
                name=_nwb_name(f"track={animal}"),  # as SLEAP names them
                pose_estimation_series=series,
                description=(
                    f"{animal!r} in video {run.video_name!r}; timestamps are frame "
                    f"index / {fps:g} fps (frame index = timestamp * {fps:g})."
                ),
                source_video=video,
                original_videos=[run.video_name],
                scorer=run.scorer,
                source_software="PoseForge",
                skeleton=skeleton,
            )
        module.add(pose)
    with NWBHDF5IO(str(dest), mode="w") as io:
        io.write(nwbfile)
    return dest
