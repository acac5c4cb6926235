"""Labeled videos: the predicted skeleton drawn over the frames, as a browser-playable MP4.

Flow of :func:`render_video`: decode the predicted frame range of the source
video (:func:`ml_worker.infer.iter_frames`), draw the skeleton of each frame
with Pillow (edges in white, nodes coloured from red at score 0 to green at
score 1, nodes below ``threshold`` drawn hollow), and encode H.264 ``yuv420p``
in an MP4 with the index up front (``+faststart``), which every browser plays.
The file is written to a ``.tmp`` sibling and moved into place at the end.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from PIL import Image, ImageDraw

from ml_worker.infer import VideoPredictions, iter_frames


def confidence_colour(score: float) -> tuple[int, int, int]:
    """RGB from red (score <= 0) through yellow to green (score >= 1)."""
    s = float(np.clip(np.nan_to_num(score, nan=0.0), 0.0, 1.0))
    return (int(round(255 * min(1.0, 2 * (1 - s)))), int(round(255 * min(1.0, 2 * s))), 0)


def draw_skeleton(
    image: np.ndarray,
    points: np.ndarray,
    scores: np.ndarray,
    edges: Sequence[tuple[int, int]],
    *,
    threshold: float = 0.4,
    radius: int = 4,
    line_width: int = 2,
) -> np.ndarray:
    """Draw one frame's skeleton.

    Args:
        image: ``(H, W, 3)`` uint8 RGB (not modified).
        points: ``(K, 2)`` pixels (x, y); NaN points are skipped.
        scores: ``(K,)`` confidences (node colour).
        edges: node index pairs.
        threshold: edges touching a node below it are not drawn; such nodes are hollow.
        radius: node radius in pixels.
        line_width: edge width in pixels.

    Returns:
        A new ``(H, W, 3)`` uint8 image.
    """
    canvas = Image.fromarray(np.ascontiguousarray(image))
    draw = ImageDraw.Draw(canvas)
    ok = np.isfinite(points).all(axis=1)
    for a, b in edges:
        if ok[a] and ok[b] and scores[a] >= threshold and scores[b] >= threshold:
            draw.line([tuple(points[a]), tuple(points[b])], fill=(255, 255, 255), width=line_width)
    for k in np.flatnonzero(ok):
        x, y = points[k]
        colour = confidence_colour(scores[k])
        box = [x - radius, y - radius, x + radius, y + radius]
        if scores[k] >= threshold:
            draw.ellipse(box, fill=colour, outline=(0, 0, 0))
        else:
            draw.ellipse(box, outline=colour, width=2)
    return np.asarray(canvas)


def render_video(
    video_path: str | Path,
    preds: VideoPredictions,
    out_path: str | Path,
    *,
    edges: Sequence[tuple[int, int]] = (),
    threshold: float = 0.4,
    crf: int = 23,
    on_progress: Callable[[float, int], None] | None = None,
) -> Path:
    """Write an H.264 MP4 of the predicted frame range with the skeleton drawn on.

    Args:
        video_path: the video the predictions were made on.
        preds: predictions (rows looked up by ``frame_indices``; frames
            without a row are written undecorated).
        out_path: the ``.mp4`` to write (atomically).
        edges: skeleton edges (node index pairs).
        threshold: confidence below which a node is hollow and its edges hidden.
        crf: x264 quality (lower = better, larger).
        on_progress: called with ``(fraction, frames_written)`` every 100 frames.

    Returns:
        The output path. Frames are cropped to even width and height (yuv420p).
    """
    out = Path(out_path)
    if len(preds) == 0:
        raise ValueError("preds: no frames to render")
    first, last = int(preds.frame_indices.min()), int(preds.frame_indices.max())
    row_of = {int(f): i for i, f in enumerate(preds.frame_indices)}
    width, height = preds.width - preds.width % 2, preds.height - preds.height % 2
    tmp = out.with_name(out.name + ".tmp")
    written = 0
    with av.open(str(tmp), "w", format="mp4", options={"movflags": "+faststart"}) as container:
        rate = Fraction(preds.fps).limit_denominator(1001)
        stream = container.add_stream("libx264", rate=rate)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"crf": str(crf), "preset": "veryfast"}
        for index, frame in iter_frames(video_path, first, last + 1):
            row = row_of.get(index)
            if row is not None:
                for i in range(preds.num_instances):  # every animal; empty slots are NaN
                    frame = draw_skeleton(
                        frame, preds.points[row, i], preds.scores[row, i], edges,
                        threshold=threshold,
                    )
            image = av.VideoFrame.from_ndarray(
                np.ascontiguousarray(frame[:height, :width]), format="rgb24"
            )
            container.mux(stream.encode(image))
            written += 1
            if on_progress is not None and written % 100 == 0:
                on_progress(written / (last + 1 - first), written)
        container.mux(stream.encode(None))
    os.replace(tmp, out)
    return out
