"""Video I/O with PyAV: probe a file, decode one frame by index, encode JPEG.

Frames are addressed by index (0-based, in presentation order). Decoding seeks
to the nearest earlier keyframe and decodes forward, so a random frame costs
at most one GOP of decoding, not the whole video.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from PIL import Image

MAX_PIXELS = 8192 * 8192  # refuse absurd declared sizes before allocating anything


class VideoError(Exception):
    """The file is not a video we can decode; the message says why, for the user."""


@dataclass(frozen=True)
class VideoInfo:
    fps: float
    frame_count: int
    width: int
    height: int
    codec: str


def _open(path: Path) -> av.container.InputContainer:
    try:
        return av.open(str(path), mode="r", metadata_errors="ignore")
    except (av.FFmpegError, UnicodeDecodeError, ValueError) as exc:
        raise VideoError("This file is not a video PoseForge can read.") from exc


def _rate(stream: av.video.stream.VideoStream) -> Fraction:
    rate = stream.average_rate or stream.guessed_rate or stream.base_rate
    if not rate or rate <= 0:
        raise VideoError("The video does not declare a frame rate.")
    return Fraction(rate)


def probe(path: Path) -> VideoInfo:
    """Read the header and decode the first frame; raise VideoError if either fails."""
    with _open(path) as container:
        if not container.streams.video:
            raise VideoError("The file has no video stream.")
        stream = container.streams.video[0]
        ctx = stream.codec_context
        if ctx is None:  # a stream FFmpeg has no decoder for (e.g. an SVG "video")
            raise VideoError("The video's codec is not supported.")
        width, height = int(ctx.width or 0), int(ctx.height or 0)
        if width <= 0 or height <= 0:
            raise VideoError("The video has no frame size.")
        if width * height > MAX_PIXELS:
            raise VideoError(
                f"Frames of {width}x{height} pixels are larger than PoseForge accepts."
            )
        rate = _rate(stream)
        frame_count = int(stream.frames or 0)
        if frame_count <= 0 and stream.duration and stream.time_base:
            frame_count = int(round(float(stream.duration * stream.time_base * rate)))
        try:
            first = next(container.decode(stream), None)
        except (av.FFmpegError, ValueError) as exc:
            raise VideoError("The video's frames cannot be decoded.") from exc
        if first is None:
            raise VideoError("The video contains no decodable frame.")
        return VideoInfo(float(rate), max(frame_count, 1), width, height, ctx.name or "unknown")


def count_frames(path: Path) -> int:
    """Exact frame count by demuxing (no decoding): headers can lie or be absent."""
    with _open(path) as container:
        stream = container.streams.video[0]
        return sum(1 for packet in container.demux(stream) if packet.size > 0)


def read_frame(path: Path, index: int) -> np.ndarray:
    """Decode frame ``index`` as an (H, W, 3) uint8 RGB array."""
    with _open(path) as container:
        stream = container.streams.video[0]
        # Frame threading adds a pipeline delay of several frames: slow for one frame.
        stream.thread_type = "SLICE"
        rate = _rate(stream)
        tb = stream.time_base
        start = stream.start_time or 0
        target_pts = start + int(round(index / rate / tb))
        if index > 0:
            container.seek(target_pts, stream=stream, backward=True, any_frame=False)
        for frame in container.decode(stream):
            if frame.pts is None:
                continue
            if frame.pts >= target_pts - (1 / rate / tb) / 2:
                return frame.to_ndarray(format="rgb24")
    raise IndexError(f"Frame {index} is past the end of the video.")


def iter_frames(path: Path, start: int = 0, stop: int | None = None, step: int = 1):
    """Yield (index, RGB array) sequentially; the fast path for whole-video passes."""
    with _open(path) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        for i, frame in enumerate(container.decode(stream)):
            if stop is not None and i >= stop:
                break
            if i >= start and (i - start) % step == 0:
                yield i, frame.to_ndarray(format="rgb24")


def encode_jpeg(rgb: np.ndarray, quality: int = 90, max_width: int | None = None) -> bytes:
    image = Image.fromarray(rgb)
    if max_width and image.width > max_width:
        image = image.resize((max_width, round(image.height * max_width / image.width)))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()
