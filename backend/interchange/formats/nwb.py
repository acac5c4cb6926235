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
"""

from __future__ import annotations

import re
import shutil
import uuid
from datetime import UTC, datetime
from pathlib import Path

import ndx_pose  # noqa: F401 - an ImportError here leaves NWB out of the registry
import numpy as np
import pynwb  # noqa: F401

from backend.interchange.data import HUMAN, MODEL, FormatError, ProjectData, frame_poses
from backend.interchange.formats import register_writer
from backend.interchange.formats._common import clean_relative, stem, unique
from ml_worker.poses import ABSENT


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
