"""Whole-video inference: decode with PyAV, predict in batches, keep everything in arrays.

Flow of :func:`predict_video`:

1. a background thread decodes the video with PyAV (``thread_type="AUTO"``),
   converts frames to ``(H, W, 3)`` uint8 RGB and puts batches of
   ``batch_size`` frames on a small bounded queue, so decoding the next batch
   overlaps with inference on the current one (PyAV and torch both release the
   GIL in their heavy loops);
2. the caller's thread runs the model (top-down, :mod:`ml_worker.pipeline`, or
   bottom-up, :mod:`ml_worker.bottomup`; ``torch.inference_mode``,
   channels-last weights) on each batch; every output has an instance axis.
   With ``with_features=True`` (top-down) a forward hook on the instance
   U-Net's bottleneck records its global-average-pooled activation, a compact
   descriptor of what the crops look like, averaged over the frame's animals
   (used by :mod:`ml_worker.active_learning` for diversity);
3. results are gathered into a :class:`VideoPredictions`, which saves to and
   loads from one ``.npz`` file.

Progress is reported at most about twice a second; ``should_stop()`` is polled
once per batch and cancellation raises :class:`Cancelled`, whose ``partial``
attribute holds the frames predicted so far. An onnxruntime session made by
:func:`ml_worker.export.export_onnx` can stand in for the torch model (no
anchors or features there: anchors are then the centre of the predicted points);
:func:`onnx_session` exports a graph with all four outputs, which onnxruntime
runs faster than torch on a small CPU.
"""

from __future__ import annotations

import json
import os
import queue
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import av
import numpy as np
import torch
from torch import Tensor, nn

from ml_worker.artifacts import ModelArtifact, output_shape, run_batch
from ml_worker.pipeline import TopDownModel

ProgressFn = Callable[[float, int], None]
StopFn = Callable[[], bool]
PROGRESS_INTERVAL_S = 0.5
ONNX_OUTPUTS = ["points", "scores", "anchors", "features", "instance_scores"]


class OnnxSession(Protocol):
    """The part of ``onnxruntime.InferenceSession`` used here."""

    def run(self, output_names: Any, input_feed: dict[str, Any]) -> list[Any]: ...

    def get_inputs(self) -> list[Any]: ...

    def get_outputs(self) -> list[Any]: ...


@dataclass
class VideoPredictions:
    """Per-frame predictions for (part of) one video; F frames, I animal slots, K nodes.

    Attributes:
        points: ``(F, I, K, 2)`` float32 frame pixels (x, y), NaN for empty slots.
        scores: ``(F, I, K)`` float32 peak confidence (about 1 = clean peak).
        anchors: ``(F, I, 2)`` float32 animal anchors in frame pixels.
        features: ``(F, D)`` float16 pooled bottleneck features of the
            instance U-Net (mean over the frame's animals), or None when not requested.
        fps: average frame rate of the video.
        frame_count: frames in the whole video (not only the predicted range).
        width: frame width in pixels.
        height: frame height in pixels.
        frame_indices: ``(F,)`` int64 video frame index of each row.
        node_names: K node names (empty when unknown, e.g. an ONNX session).
        instance_scores: ``(F, I)`` float32 animal confidence (0 for empty slots);
            default: the mean node score.
        track_ids: ``(F, I)`` int32 index into ``track_names``, -1 = none / padding.
        track_names: identities (empty: the model does not track).
        identity_scores: ``(F, I, T)`` float32 probability of each of the model's
            identities (:mod:`ml_worker.identity`), None for a model without.
        identity_names: the T identity names (empty without).

    Arrays without the instance axis (``points (F, K, 2)``, ``scores (F, K)``,
    ``anchors (F, 2)``, as written before multi-animal models) are read as one animal.
    """

    points: np.ndarray
    scores: np.ndarray
    anchors: np.ndarray
    features: np.ndarray | None
    fps: float
    frame_count: int
    width: int
    height: int
    frame_indices: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    node_names: list[str] = field(default_factory=list)
    instance_scores: np.ndarray | None = None
    track_ids: np.ndarray | None = None
    track_names: list[str] = field(default_factory=list)
    identity_scores: np.ndarray | None = None
    identity_names: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.points.ndim == 3:  # one animal, the layout before the instance axis
            self.points, self.scores = self.points[:, None], self.scores[:, None]
            if self.anchors.ndim == 2:
                self.anchors = self.anchors[:, None]
            if self.instance_scores is not None and self.instance_scores.ndim == 1:
                self.instance_scores = self.instance_scores[:, None]
        f = len(self.points)
        if len(self.frame_indices) != f:
            self.frame_indices = np.arange(f, dtype=np.int64)
        if self.points.ndim != 4 or self.points.shape[-1] != 2 or (
                self.scores.shape != self.points.shape[:3]):
            raise ValueError(
                f"points {self.points.shape} and scores {self.scores.shape} "
                "must be (F, I, K, 2) and (F, I, K)"
            )
        i = self.points.shape[1]
        if self.anchors.shape != (f, i, 2):
            raise ValueError(f"anchors must be ({f}, {i}, 2), got {self.anchors.shape}")
        if self.instance_scores is None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN slots
                self.instance_scores = np.nan_to_num(np.nanmean(self.scores, axis=-1))
        self.instance_scores = np.asarray(self.instance_scores, np.float32)
        if self.track_ids is None:
            self.track_ids = np.full((f, i), -1, np.int32)
        self.track_ids = np.asarray(self.track_ids, np.int32)
        for name in ("instance_scores", "track_ids"):
            if getattr(self, name).shape != (f, i):
                raise ValueError(f"{name} must be ({f}, {i}), got {getattr(self, name).shape}")
        if self.features is not None and len(self.features) != f:
            raise ValueError(f"features must have {f} rows, got {self.features.shape}")
        if self.identity_scores is not None:
            self.identity_scores = np.asarray(self.identity_scores, np.float32)
            if self.identity_scores.shape[:2] != (f, i) or self.identity_scores.ndim != 3:
                raise ValueError(f"identity_scores must be ({f}, {i}, T), "
                                 f"got {self.identity_scores.shape}")

    def __len__(self) -> int:
        return len(self.points)

    @property
    def num_instances(self) -> int:
        """Animal slots per frame (``I``)."""
        return int(self.points.shape[1])

    def save_npz(self, path: str | Path) -> Path:
        """Write all arrays and metadata to one ``.npz`` file, atomically."""
        out = Path(path)
        meta = {
            "fps": self.fps,
            "frame_count": self.frame_count,
            "width": self.width,
            "height": self.height,
            "node_names": list(self.node_names),
            "track_names": list(self.track_names),
        }
        arrays = {
            "points": self.points,
            "scores": self.scores,
            "instance_scores": self.instance_scores,
            "track_ids": self.track_ids,
            "anchors": self.anchors,
            "frame_indices": self.frame_indices,
            "meta": np.array(json.dumps(meta)),
        }
        if self.features is not None:
            arrays["features"] = self.features
        if self.identity_scores is not None:
            arrays["identity_scores"] = self.identity_scores
            arrays["identity_names"] = np.array(list(self.identity_names), dtype=str)
        tmp = out.with_name(out.name + ".tmp")
        with open(tmp, "wb") as fh:  # a file object: np.savez would append ".npz" to a name
            np.savez(fh, **arrays)
        os.replace(tmp, out)
        return out

    @classmethod
    def load_npz(cls, path: str | Path) -> VideoPredictions:
        """Inverse of :meth:`save_npz`; files without an instance axis read as one animal."""
        with np.load(Path(path), allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            return cls(
                points=data["points"],
                scores=data["scores"],
                anchors=data["anchors"],
                features=data["features"] if "features" in data else None,
                fps=float(meta["fps"]),
                frame_count=int(meta["frame_count"]),
                width=int(meta["width"]),
                height=int(meta["height"]),
                frame_indices=data["frame_indices"],
                node_names=list(meta["node_names"]),
                instance_scores=data["instance_scores"] if "instance_scores" in data else None,
                track_ids=data["track_ids"] if "track_ids" in data else None,
                track_names=list(meta.get("track_names", [])),
                identity_scores=data["identity_scores"] if "identity_scores" in data else None,
                identity_names=([str(n) for n in data["identity_names"]]
                                if "identity_names" in data else []),
            )


def _slot_features(pooled: Tensor, found: Tensor) -> Tensor:
    """Per-frame features: the mean of the animals' pooled crops.

    Args:
        pooled: ``(I * N, D)`` pooled bottleneck activations, slot-major (the
            order :class:`TopDownModel` crops in).
        found: ``(N, I)`` bool, slots holding an animal.

    Returns:
        ``(N, D)``; frames without an animal average every slot.
    """
    n, i = found.shape
    per_slot = pooled.reshape(i, n, -1).transpose(0, 1)  # (N, I, D)
    weight = found.to(per_slot.dtype)
    weight = torch.where(weight.sum(1, keepdim=True) > 0, weight, torch.ones_like(weight))
    return (per_slot * weight[..., None]).sum(1) / weight.sum(1, keepdim=True)


class _WithFeatures(nn.Module):
    """TopDownModel plus the pooled instance-bottleneck features, for ONNX export."""

    def __init__(self, model: TopDownModel) -> None:
        super().__init__()
        self.model = model
        self.pooled: list[Tensor] = []
        model.instance.bottleneck.register_forward_hook(
            lambda _m, _i, out: self.pooled.append(out.mean(dim=(2, 3)))
        )

    def forward(self, frames: Tensor) -> tuple[Tensor, ...]:
        self.pooled.clear()
        points, scores, instance_scores, anchors, *identity = self.model(frames)
        features = _slot_features(self.pooled[-1], instance_scores > 0)
        return (points, scores, anchors, features, instance_scores, *identity)


def onnx_session(
    artifact: ModelArtifact, path: str | Path, *, num_threads: int | None = None
) -> Any:
    """Export ``artifact`` to ONNX at ``path`` and open an onnxruntime CPU session.

    Unlike :func:`ml_worker.export.export_onnx` (the user download), this graph
    also outputs ``anchors (N, I, 2)`` and ``features (N, D)``, so
    :func:`predict_video` gives the same arrays as with the torch module. The
    graph is traced for the artifact's training frame size.

    Args:
        artifact: the model.
        path: where to write the ``.onnx`` file (atomically).
        num_threads: intra-op threads (default: onnxruntime's choice).

    Returns:
        An ``onnxruntime.InferenceSession``.
    """
    import onnxruntime as ort

    if artifact.model_kind != "top_down":
        # the grouping of part affinity fields is numpy, not part of one exportable graph
        raise ValueError("ONNX Runtime inference is for top-down models; bottom-up runs on torch")
    g = artifact.geometry
    module = _WithFeatures(artifact.build_module()).eval()
    example = torch.zeros(2, g.frame_height, g.frame_width, 3, dtype=torch.uint8)
    outputs = ONNX_OUTPUTS + ["identity_scores"] if artifact.identity_names else ONNX_OUTPUTS
    out = Path(path)
    tmp = out.with_name(out.name + ".tmp")
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer and legacy-exporter notices
        torch.onnx.export(
            module,
            (example,),
            str(tmp),
            dynamo=False,
            opset_version=17,
            input_names=["frames"],
            output_names=outputs,
            dynamic_axes={name: {0: "n"} for name in ("frames", *outputs)},
        )
    os.replace(tmp, out)
    options = ort.SessionOptions()
    if num_threads:
        options.intra_op_num_threads = num_threads
    return ort.InferenceSession(str(out), options, providers=["CPUExecutionProvider"])


class Cancelled(Exception):
    """``should_stop()`` returned True; ``partial`` holds the frames predicted so far."""

    def __init__(self, partial: VideoPredictions) -> None:
        super().__init__(f"video inference cancelled after {len(partial)} frames")
        self.partial = partial


@dataclass
class VideoInfo:
    """Stream metadata read before decoding."""

    fps: float
    frame_count: int
    width: int
    height: int


def video_info(video_path: str | Path) -> VideoInfo:
    """Frame rate, frame count (from the container, else estimated), frame size."""
    with av.open(str(video_path)) as container:
        stream = container.streams.video[0]
        fps = float(stream.average_rate or stream.guessed_rate or 30)
        count = int(stream.frames or 0)
        if count <= 0 and stream.duration is not None and stream.time_base is not None:
            count = round(float(stream.duration * stream.time_base) * fps)
        if count <= 0 and container.duration:
            count = round(container.duration / 1e6 * fps)
        return VideoInfo(fps, count, stream.codec_context.width, stream.codec_context.height)


def iter_frames(
    video_path: str | Path, start: int = 0, stop: int | None = None
) -> Iterator[tuple[int, np.ndarray]]:
    """Decode frames ``[start, stop)`` as ``(index, (H, W, 3) uint8 RGB)``.

    Frame ``i`` is the ``i``-th frame decoding from the start yields, as in
    ``backend.videos.media.iter_frames``: timestamps cannot number frames (AVI
    stores decode order, so its first frame has pts 1 and B-frames scramble the
    rest), and a seek can start the decoder without state only the stream's start
    carries (x264 < 151 4:4:4 then decodes solid green). So this never seeks:
    frames before ``start`` are decoded but not converted to RGB. Every caller in
    the app starts at 0; random access lives in ``backend.videos.media.FrameReader``.
    """
    with av.open(str(video_path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        for index, frame in enumerate(container.decode(stream)):
            if index < start:
                continue
            if stop is not None and index >= stop:
                break
            yield index, frame.to_ndarray(format="rgb24")


_DONE = object()


def _batches_in_background(
    frames: Iterator[tuple[int, np.ndarray]], batch_size: int, depth: int = 2
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Batches ``(indices (B,), frames (B, H, W, 3))`` decoded by a producer thread."""
    q: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: Any) -> bool:
        while not stop.is_set():
            try:
                q.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            idx: list[int] = []
            buf: list[np.ndarray] = []
            for i, frame in frames:
                idx.append(i)
                buf.append(frame)
                if len(buf) == batch_size:
                    if not put((np.asarray(idx, np.int64), np.stack(buf))):
                        return
                    idx, buf = [], []
            if buf:
                put((np.asarray(idx, np.int64), np.stack(buf)))
            put(_DONE)
        except BaseException as exc:  # handed to the consumer, raised there
            put(exc)

    thread = threading.Thread(target=produce, name="video-decode", daemon=True)
    thread.start()
    try:
        while True:
            item = q.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join(timeout=5)


Batch = tuple[np.ndarray, ...]


class _Runner:
    """One batch of uint8 frames in, numpy outputs out (torch module or ONNX session)."""

    def __init__(
        self,
        model: ModelArtifact | nn.Module | OnnxSession,
        with_features: bool,
        device: str | None,
    ) -> None:
        self.with_features = with_features
        self.features: list[np.ndarray] = []  # (B, D) per batch
        self.pooled: list[Tensor] = []
        self.onnx: OnnxSession | None = None
        self.node_names: list[str] = []
        self.identity_names: list[str] = []
        self.hook: Any = None
        if isinstance(model, ModelArtifact):
            self.node_names = list(model.node_names)
            self.identity_names = list(model.identity_names)
            model = model.build_module()
        if not isinstance(model, nn.Module):
            self.onnx = model
            self.input_name = model.get_inputs()[0].name
            self.output_names = [o.name for o in model.get_outputs()]
            if with_features and "features" not in self.output_names:
                raise ValueError(
                    "with_features needs an ONNX graph with a features output (see onnx_session)"
                )
            return
        self.device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
        self.module: nn.Module = model.to(self.device).eval()
        self.module.to(memory_format=torch.channels_last)
        if with_features:
            if not isinstance(self.module, TopDownModel):
                raise ValueError("with_features needs a top-down model")
            self.hook = self.module.instance.bottleneck.register_forward_hook(self._record)

    def _record(self, _module: nn.Module, _inputs: Any, output: Tensor) -> None:
        self.pooled.append(output.float().mean(dim=(2, 3)))

    def __call__(self, frames: np.ndarray) -> Batch:
        """``frames (B, H, W, 3)`` -> ``points (B, I, K, 2)``, ``scores (B, I, K)``,
        ``instance_scores (B, I)``, ``anchors (B, I, 2)`` (+ ``identity_scores (B, I, T)``
        for a model with identities)."""
        if self.onnx is not None:
            return self._run_onnx(frames)
        batch = torch.from_numpy(frames).to(self.device)
        self.pooled.clear()
        p, s, i, a, *identity = run_batch(self.module, batch)
        if self.with_features:
            self.features.append(_slot_features(self.pooled[-1], i > 0).cpu().numpy())
        return tuple(t.float().cpu().numpy() for t in (p, s, i, a, *identity))

    def _run_onnx(self, frames: np.ndarray) -> Batch:
        assert self.onnx is not None
        outs = dict(zip(self.output_names, self.onnx.run(None, {self.input_name: frames}),
                        strict=True))
        points = np.asarray(outs["points"], np.float32)
        scores = np.asarray(outs["scores"], np.float32)
        if points.ndim == 3:  # a graph exported before the instance axis
            points, scores = points[:, None], scores[:, None]
        if "anchors" in outs:
            anchors = np.asarray(outs["anchors"], np.float32).reshape(*points.shape[:2], 2)
        else:  # the download export has no anchors: use the centre of the points
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                anchors = (np.nanmin(points, axis=2) + np.nanmax(points, axis=2)) / 2
        if "instance_scores" in outs:
            inst = np.asarray(outs["instance_scores"], np.float32).reshape(points.shape[:2])
        else:
            inst = scores.clip(0, 1).mean(axis=-1)
        if self.with_features:
            self.features.append(np.asarray(outs["features"], np.float32))
        if "identity_scores" in outs:
            identity = np.asarray(outs["identity_scores"], np.float32)
            return points, scores, inst, anchors.astype(np.float32), identity
        return points, scores, inst, anchors.astype(np.float32)

    @property
    def output_shape(self) -> tuple[int, int] | None:
        """``(I, K)`` when known before any batch ran."""
        if self.onnx is None:
            return output_shape(self.module)
        return (1, len(self.node_names)) if self.node_names else None

    def close(self) -> None:
        if self.hook is not None:
            self.hook.remove()


def predict_video(
    artifact_or_module: ModelArtifact | nn.Module | OnnxSession,
    video_path: str | Path,
    *,
    batch_size: int = 32,
    start: int = 0,
    stop: int | None = None,
    on_progress: ProgressFn | None = None,
    should_stop: StopFn | None = None,
    with_features: bool = False,
    device: str | None = None,
    num_threads: int | None = None,
) -> VideoPredictions:
    """Predict keypoints on every frame of ``[start, stop)`` of a video.

    Args:
        artifact_or_module: a loaded :class:`ModelArtifact` (top-down or
            bottom-up), an already built module (reused as is, moved to ``device``), or an
            onnxruntime session: from :func:`onnx_session` (same outputs as
            torch; about 1.7x faster on our 2-core CPU) or of the download
            export :func:`ml_worker.export.export_onnx` (no features; anchors
            are then the centre of the predicted points).
        video_path: any video PyAV can decode.
        batch_size: frames per forward pass.
        start: first frame index.
        stop: one past the last frame index (default: end of video).
        on_progress: called with ``(fraction in [0, 1], frames_done)`` at most
            about twice a second, and once at the end.
        should_stop: polled before each batch; True raises :class:`Cancelled`.
        with_features: also return pooled instance-bottleneck features (top-down only).
        device: ``"cpu"``/``"cuda"``; default CUDA when available.
        num_threads: torch intra-op threads for this call (restored after);
            default: leave torch's setting (one per core).

    Returns:
        The predictions; ``F`` = frames decoded in ``[start, stop)``.

    Raises:
        Cancelled: ``should_stop()`` returned True (``.partial`` has the rows so far).
        ValueError: bad range, or ``with_features`` with an ONNX graph without features.
    """
    if batch_size < 1 or start < 0 or (stop is not None and stop < start):
        raise ValueError(f"bad batch_size/start/stop: {batch_size}, {start}, {stop}")
    info = video_info(video_path)
    runner = _Runner(artifact_or_module, with_features, device)
    end = min(stop, info.frame_count) if stop is not None and info.frame_count > 0 else stop
    total = max(1, (end if end is not None else info.frame_count) - start)
    outputs: list[tuple[np.ndarray, ...]] = []
    done, last_report = 0, time.monotonic()

    def result() -> VideoPredictions:
        return _gather(outputs, runner, info, reached_end=stop is None)

    threads_before = torch.get_num_threads()
    if num_threads:
        torch.set_num_threads(num_threads)
    batches = _batches_in_background(iter_frames(video_path, start, stop), batch_size)
    try:
        with torch.inference_mode():
            for idx, frames in batches:
                if should_stop is not None and should_stop():
                    raise Cancelled(result())
                outputs.append((idx, *runner(frames)))
                done += len(idx)
                if (
                    on_progress is not None
                    and time.monotonic() - last_report >= PROGRESS_INTERVAL_S
                ):
                    on_progress(min(done / total, 1.0), done)
                    last_report = time.monotonic()
    finally:
        batches.close()  # stops the decode thread now, also on Cancelled
        runner.close()
        torch.set_num_threads(threads_before)
    if on_progress is not None:
        on_progress(1.0, done)
    return result()


def _gather(
    outputs: list[tuple[np.ndarray, ...]],
    runner: _Runner,
    info: VideoInfo,
    reached_end: bool,
) -> VideoPredictions:
    """Concatenate per-batch outputs into a :class:`VideoPredictions`."""
    identity = None
    if outputs:
        idx, points, scores, inst, anchors, *rest = (
            np.concatenate(parts) for parts in zip(*outputs, strict=True)
        )
        identity = rest[0].astype(np.float32) if rest else None
    else:
        i, k = runner.output_shape or (1, 0)
        idx, points = np.zeros(0, np.int64), np.zeros((0, i, k, 2), np.float32)
        scores, inst = np.zeros((0, i, k), np.float32), np.zeros((0, i), np.float32)
        anchors = np.zeros((0, i, 2), np.float32)
    features = None
    if runner.with_features:
        feats = runner.features[: len(outputs)]
        features = (np.concatenate(feats) if feats else np.zeros((0, 0))).astype(np.float16)
    frame_count = info.frame_count
    if reached_end and len(idx):
        frame_count = max(frame_count, int(idx[-1]) + 1)
    return VideoPredictions(
        points=points.astype(np.float32),
        scores=scores.astype(np.float32),
        anchors=anchors.astype(np.float32),
        features=features,
        fps=info.fps,
        frame_count=frame_count,
        width=info.width,
        height=info.height,
        frame_indices=idx.astype(np.int64),
        node_names=list(runner.node_names),
        instance_scores=inst.astype(np.float32),
        identity_scores=identity,
        identity_names=list(runner.identity_names) if identity is not None else [],
    )
