"""Video I/O with PyAV: probe a file, decode frames by index, encode JPEG.

Frames are addressed by index: frame ``i`` is the ``i``-th frame sequential
decoding yields (``iter_frames``). ``FrameReader`` gets the same pixels by
seeking to the keyframe before the frame and decoding forward, so a random
frame costs at most one GOP of decoding; each decoded frame is checked against
the video's frame index (``frame_index``) and any surprise falls back to
decoding from the start. ``tests/backend/videos/test_random_access.py`` holds
every codec, pixel format and GOP shape we know of to that promise.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from PIL import Image

from backend.videos import frame_index

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


class _Mismatch(Exception):
    """Random access did not reproduce sequential decoding (see FrameReader)."""


def _prime(container: av.container.InputContainer, stream: av.video.stream.VideoStream) -> None:
    """Decode the stream's first frame so the decoder learns what only the start says.

    FFmpeg's H.264 decoder reads the x264 version from an SEI in the first packet
    and, for x264 builds before 151, works around their 4:4:4 8x8-transform bug.
    A decoder that starts at a later keyframe never sees that SEI and turns every
    frame of such a file (DeepLabCut's m3v1mp4.mp4) into solid green. The state
    survives the seek's buffer flush.
    """
    for _ in container.decode(stream):
        break


class FrameReader:
    """Frames of one video by index, pixel for pixel what sequential decoding yields.

    A read seeks to the keyframe at or before the frame (``FrameIndex.checkpoint``),
    decodes forward and checks every decoded frame's pts against the index; reads
    in increasing order continue the same decode while no keyframe lies between.
    When anything does not match (the seek landed after the keyframe, a pts is
    missing, unknown or out of order, the decoder marks a frame corrupt, the stream
    ends early) the read decodes from the start instead, which is correct by
    definition; ``fallbacks`` counts those reads.
    """

    def __init__(self, path: Path, frames: frame_index.FrameIndex | None = None):
        self.path = Path(path)
        self._frames = frames
        self.fallbacks = 0
        self._run: Iterator[tuple[int, av.VideoFrame]] | None = None
        self._position = -1  # index of the frame self._run yielded last

    @property
    def frames(self) -> frame_index.FrameIndex:
        """The video's frame index, loaded on the first read (building it may decode the video)."""
        if self._frames is None:
            self._frames = frame_index.get(self.path)
        return self._frames

    def __enter__(self) -> FrameReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._run is not None:
            self._run.close()  # type: ignore[attr-defined]  # a generator: closes its container
            self._run = None

    def read(self, index: int) -> np.ndarray:
        """Frame ``index`` as an (H, W, 3) uint8 RGB array."""
        if not 0 <= index < len(self.frames):
            raise IndexError(
                f"Frame {index} is past the end of the video ({len(self.frames)} frames)."
            )
        if self._must_restart(index):
            self._restart(self._start_run(index))
        try:
            return self._advance(index)
        except (_Mismatch, av.FFmpegError):
            self.fallbacks += 1
            self._restart(self._from_start(threads="AUTO"))
        try:
            return self._advance(index)
        except _Mismatch as exc:  # the index promised more frames than the file holds
            raise IndexError(f"Frame {index} cannot be decoded from {self.path.name}.") from exc

    def _must_restart(self, index: int) -> bool:
        if self._run is None or index <= self._position:
            return True
        # Seeking to a keyframe past the current position decodes less than going on.
        return self.frames.seekable and self.frames.checkpoint(index) > self._position

    def _restart(self, run: Iterator[tuple[int, av.VideoFrame]]) -> None:
        self.close()
        self._run, self._position = run, -1

    def _advance(self, index: int) -> np.ndarray:
        assert self._run is not None
        for position, frame in self._run:
            self._position = position
            if position == index:
                return frame.to_ndarray(format="rgb24")
        raise _Mismatch(f"the stream ended before frame {index}")

    def _start_run(self, index: int) -> Iterator[tuple[int, av.VideoFrame]]:
        keyframe = self.frames.checkpoint(index) if self.frames.seekable else 0
        if keyframe == 0:
            return self._from_start(threads="SLICE" if index < 64 else "AUTO")
        return self._from_keyframe(keyframe)

    def _from_start(self, threads: str) -> Iterator[tuple[int, av.VideoFrame]]:
        with _open(self.path) as container:
            stream = container.streams.video[0]
            stream.thread_type = threads
            yield from enumerate(container.decode(stream))

    def _from_keyframe(self, keyframe: int) -> Iterator[tuple[int, av.VideoFrame]]:
        with _open(self.path) as container:
            stream = container.streams.video[0]
            # Frame threading adds a pipeline delay of several frames: slow for one frame.
            stream.thread_type = "SLICE"
            _prime(container, stream)
            target = int(self.frames.pts[keyframe])
            container.seek(target, stream=stream, backward=True, any_frame=False)
            expected = keyframe
            for packet in container.demux(stream):
                for frame in packet.decode():
                    position = self.frames.position.get(frame.pts)  # type: ignore[arg-type]
                    if expected == keyframe and position is not None and position < keyframe:
                        continue  # the seek landed on an earlier keyframe: decode on
                    if position != expected or frame.is_corrupt:
                        raise _Mismatch(f"expected frame {expected}, decoded {position}")
                    yield expected, frame
                    expected += 1


def read_frame(path: Path, index: int) -> np.ndarray:
    """Decode frame ``index`` as an (H, W, 3) uint8 RGB array (see FrameReader)."""
    with FrameReader(path) as reader:
        return reader.read(index)


def read_frames(path: Path, indices: Iterable[int]) -> list[np.ndarray]:
    """Frames ``indices`` (in that order), decoded in increasing order through one reader."""
    wanted = [int(i) for i in indices]
    with FrameReader(path) as reader:
        decoded = {index: reader.read(index) for index in sorted(set(wanted))}
    return [decoded[index] for index in wanted]


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
