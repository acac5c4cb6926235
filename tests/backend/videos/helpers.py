"""Small videos in many codecs, pixel formats and GOP shapes, encoded here with PyAV."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np

# name → (codec, pixel format, encoder options). Short GOPs so a few dozen frames hold
# several keyframes; B-frames, open GOPs and containers that store decode order (AVI).
SPECS: dict[str, tuple[str, str, dict[str, str]]] = {
    "h264-yuv420p-bf0.mp4": ("libx264", "yuv420p", {"bf": "0", "g": "20"}),
    "h264-yuv420p-bf2.mp4": ("libx264", "yuv420p", {"bf": "2", "g": "20"}),
    "h264-yuv444p-bf2.mp4": ("libx264", "yuv444p", {"bf": "2", "g": "24"}),
    "h264-gray.mkv": ("libx264", "gray", {"bf": "2", "g": "24"}),
    "h264-open-gop.mp4": (
        "libx264",
        "yuv420p",
        {"bf": "3", "g": "16", "x264-params": "open-gop=1:keyint=16:min-keyint=16:scenecut=0"},
    ),  # fmt: skip
    "h264-bf2.avi": ("libx264", "yuv420p", {"bf": "2", "g": "20"}),
    "hevc-bf3.mp4": ("libx265", "yuv420p", {"g": "20", "x265-params": "log-level=none:bframes=3"}),
    "mpeg4-bf2.avi": ("mpeg4", "yuv420p", {"bf": "2", "g": "20"}),
    "mpeg4.mp4": ("mpeg4", "yuv420p", {"g": "20"}),
    "vp9.webm": ("libvpx-vp9", "yuv420p", {"g": "20", "deadline": "realtime", "cpu-used": "8"}),
    "mjpeg.avi": ("mjpeg", "yuvj420p", {}),
    "ffv1-gray.mkv": ("ffv1", "gray", {"g": "12"}),
}


def encoder_available(codec: str) -> bool:
    try:
        av.codec.Codec(codec, "w")
    except Exception:  # noqa: BLE001 - PyAV raises different errors across versions
        return False
    return True


def moving_pattern(index: int, width: int, height: int) -> np.ndarray:
    """(H, W, 3) uint8: gradients that drift plus a bright square that moves, so frames differ."""
    yy, xx = np.mgrid[0:height, 0:width]
    image = np.stack(
        [(xx * 3 + index * 5) % 256, (yy * 2 + index * 7) % 256, (xx + yy + index * 11) % 256],
        axis=-1,
    ).astype(np.uint8)
    cx = int(width / 2 + width / 3 * np.sin(index / 5))
    image[height // 2 - 6 : height // 2 + 6, max(0, cx - 6) : cx + 6] = 255
    return image


def write_video(
    path: Path, codec: str, pix_fmt: str, options: dict[str, str], n_frames: int = 72,
    width: int = 96, height: int = 64,
) -> Path:  # fmt: skip
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=30)
        stream.width, stream.height, stream.pix_fmt = width, height, pix_fmt
        stream.options = options
        for index in range(n_frames):
            frame = av.VideoFrame.from_ndarray(moving_pattern(index, width, height), format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path
