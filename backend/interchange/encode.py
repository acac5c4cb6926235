"""Turn an image sequence (DLC/COCO labeled images, SLEAP embedded frames) into a video file.

FFV1 in Matroska is lossless (bgr0 for colour, gray for grayscale sequences) and
intra-only, so ``backend.videos.media.read_frame`` gets every pixel back exactly
and seeks to any frame directly. Images smaller than the largest one are padded
with black at the right and bottom (top-left aligned), so label coordinates stay
unchanged; each frame's own size is kept in ImportedFrameSource.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import av
import numpy as np

from backend.interchange.data import FormatError, ImageRef
from backend.videos import media

FPS = 30
MAX_SIDE = 8192


def encode_images(
    refs: list[ImageRef], dest: Path, on_frame: Callable[[int], None] | None = None
) -> tuple[int, int]:
    """Write ``refs`` as frames 0..n-1 of a lossless video at ``dest``; return (width, height)."""
    if not refs:
        raise FormatError("An image sequence has no images.")
    width = max(r.width for r in refs)
    height = max(r.height for r in refs)
    if width > MAX_SIDE or height > MAX_SIDE:
        raise FormatError(f"Images of {width}x{height} pixels are larger than PoseForge accepts.")
    gray = all(r.grayscale for r in refs)
    pix = "gray" if gray else "bgr0"
    with av.open(str(dest), mode="w", format="matroska") as container:
        stream = container.add_stream("ffv1", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = width, height, pix
        stream.options = {"slices": "4"}  # lets decoders use slice threads
        for i, ref in enumerate(refs):
            array = _to_frame_array(ref, gray)
            h, w = array.shape[:2]
            if (w, h) != (ref.width, ref.height):
                raise FormatError(
                    f"Image {ref.name!r} is {w}x{h}, not the {ref.width}x{ref.height} its header says."
                )
            canvas = np.zeros((height, width) if gray else (height, width, 3), np.uint8)
            canvas[:h, :w] = array
            frame = av.VideoFrame.from_ndarray(canvas, format="gray" if gray else "rgb24")
            for packet in stream.encode(frame.reformat(format=pix)):
                container.mux(packet)
            if on_frame:
                on_frame(i)
        for packet in stream.encode():
            container.mux(packet)
    return width, height


def _to_frame_array(ref: ImageRef, gray: bool) -> np.ndarray:
    array = np.asarray(ref.load())
    if array.dtype != np.uint8:
        array = np.clip(array, 0, 255).astype(np.uint8)
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if gray:
        if array.ndim == 3:
            array = array[:, :, 0]
        return array
    if array.ndim == 2:
        return np.repeat(array[:, :, None], 3, axis=2)
    if array.shape[2] == 4:
        return array[:, :, :3]
    return array


class FrameReader(media.FrameReader):
    """Frames of one video by index, pixel-exact (see ``backend.videos.media.FrameReader``).

    Exports ask for frames in increasing order: the reader goes on decoding forward
    between keyframes instead of opening and seeking for every frame.
    """
