"""A generated corpus of hostile uploads (issue 7.3): every file is made here, from seeds.

``corpus(video_bytes)`` returns ``Item``s for the video upload endpoint
(``target="video"``) and the import endpoint (``target="import"``). Nothing is
downloaded; sizes are kept small (a few MB at most) except where the point is
the declared size (headers that lie cost nothing to write).
"""

from __future__ import annotations

import io
import json
import os
import random
import stat
import struct
import tempfile
import warnings
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Item:
    target: str  # "video" or "import"
    name: str  # the upload's file name
    data: bytes
    kind: str  # category, for the report

    def __repr__(self) -> str:
        return f"<{self.target} {self.kind} {self.name!r} {len(self.data)} B>"


def _png(width: int, height: int, rows: int | None = None) -> bytes:
    """A PNG declaring width x height; only ``rows`` rows of (compressible) pixels are sent."""

    def chunk(tag: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit grayscale
    raw = (b"\x00" + b"\x00" * width) * (rows if rows is not None else height)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw, 9))
            + chunk(b"IEND", b""))  # fmt: skip


def _y4m(width: int, height: int) -> bytes:
    return f"YUV4MPEG2 W{width} H{height} F30:1 Ip A1:1 C420jpeg\nFRAME\n".encode() + b"\x80" * 4096


def _zip(entries: list[tuple[str, bytes]], *, mode: int | None = None, method=zipfile.ZIP_DEFLATED,
         encrypted: bool = False) -> bytes:  # fmt: skip
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=method) as archive:
        for name, data in entries:
            info = zipfile.ZipInfo(name)
            info.compress_type = method
            if mode is not None:
                info.external_attr = mode << 16
            archive.writestr(info, data)
    raw = bytearray(buffer.getvalue())
    if encrypted:  # set the "encrypted" flag bit in every header
        for sig, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
            start = 0
            while (at := raw.find(sig, start)) >= 0:
                raw[at + offset] |= 0x1
                start = at + 4
    return bytes(raw)


def _lying_zip(declared: int, actual: int) -> bytes:
    """A zip whose headers declare ``declared`` bytes but that inflates to ``actual``."""
    body = zlib.compressobj(9, zlib.DEFLATED, -15)
    compressed = body.compress(b"\x00" * actual) + body.flush()
    crc = zlib.crc32(b"\x00" * actual)
    name = b"labeled-data/bomb.csv"
    local = struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0, 8, 0, 0, crc, len(compressed),
                        declared, len(name), 0) + name + compressed  # fmt: skip
    central = struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, 20, 0, 8, 0, 0, crc,
                          len(compressed), declared, len(name), 0, 0, 0, 0, 0, 0) + name  # fmt: skip
    end = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, 1, 1, len(central), len(local), 0)
    return local + central + end


def _nested_bomb(levels: int, size: int) -> bytes:
    data = b"\x00" * size
    name = "bomb.bin"
    for level in range(levels):
        data = _zip([(name, data)])
        name = f"level{level}.zip"
    return data


def _coco(images: list[dict], annotations: list[dict] | None = None) -> bytes:
    return json.dumps({
        "images": images,
        "annotations": annotations or [],
        "categories": [{"id": 1, "name": "mouse", "keypoints": ["nose", "tail"],
                        "skeleton": [[1, 2]]}],
    }).encode()  # fmt: skip


H5_MARKER = "/tmp/poseforge-h5-pwned"  # created if an importer unpickles the table below


class _Exploit:
    def __reduce__(self):
        return (os.system, (f"touch {H5_MARKER}",))


def _pickled_h5() -> bytes:
    """A pandas "fixed" HDF5 label table with an object column that runs a shell command
    when unpickled (what pandas.read_hdf does)."""
    import pandas as pd

    cols = pd.MultiIndex.from_product([["me"], ["nose"], ["x", "y"]])
    df = pd.DataFrame([[1.0, 2.0]], index=["labeled-data/v/img.png"], columns=cols)
    df[("me", "nose", "likelihood")] = pd.Series([_Exploit()], index=df.index, dtype=object)
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        df.to_hdf(f"{tmp}/t.h5", key="df_with_missing", mode="w")
        return Path(f"{tmp}/t.h5").read_bytes()


def _slp(video_filename: str) -> bytes:
    """A SLEAP labels file whose one video is ``video_filename`` (any path, anywhere)."""
    import numpy as np
    import sleap_io as sio

    skeleton = sio.Skeleton(["nose", "tail"])
    movie = sio.Video(filename=video_filename, open_backend=False)
    inst = sio.Instance.from_numpy(np.array([[1.0, 2.0], [3.0, 4.0]]), skeleton)
    labels = sio.Labels(labeled_frames=[sio.LabeledFrame(video=movie, frame_idx=0, instances=[inst])],
                        videos=[movie], skeletons=[skeleton])  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        sio.save_slp(labels, f"{tmp}/l.slp")
        return Path(f"{tmp}/l.slp").read_bytes()


DLC_CONFIG = b"Task: x\nscorer: me\nbodyparts: [nose]\n"
OUTSIDE = ("/etc/passwd", "C:/etc/passwd", "C:\\Windows\\win.ini", "\\\\server\\share\\a.png",
           "../../../../etc/passwd", "/no/such/file.png")  # fmt: skip


# Kinds that must never end as an imported project (a success would mean a leak).
MUST_FAIL = {"pickled HDF5 table", "DLC row path outside", "Lightning Pose path outside",
             "SLEAP video outside", "zip bomb (ratio)"}  # fmt: skip


def path_items() -> list[Item]:
    """Issue 11: files inside an upload that name paths outside it, and pickled tables."""
    items = [Item("import", "dlc-pickled-h5.zip", _zip([
        ("proj/config.yaml", DLC_CONFIG), ("proj/labeled-data/v/img.png", _png(8, 8)),
        ("proj/labeled-data/v/CollectedData_me.h5", _pickled_h5())]), "pickled HDF5 table")]  # fmt: skip
    header = b"scorer,me,me\nbodyparts,nose,nose\ncoords,x,y\n"
    for i, path in enumerate(OUTSIDE):
        row = header + path.encode() + b",1,2\n"
        items.append(Item("import", f"dlc-outside-{i}.zip", _zip([
            ("proj/config.yaml", DLC_CONFIG), ("proj/labeled-data/v/inside.png", _png(8, 8)),
            ("proj/labeled-data/v/CollectedData_me.csv", row)]), "DLC row path outside"))  # fmt: skip
        items.append(Item("import", f"lp-outside-{i}.zip", _zip([
            ("lp/labeled-data/inside.png", _png(8, 8)), ("lp/CollectedData.csv", row)]),
            "Lightning Pose path outside"))  # fmt: skip
        items.append(Item("import", f"sleap-outside-{i}.slp", _slp(path), "SLEAP video outside"))
    items.append(Item("import", "ratio-bomb.zip", _zip([("proj/labeled-data/v/a.csv",
                                                        b"\0" * 15_000_000)]), "zip bomb (ratio)"))  # fmt: skip
    return items


def video_items(video: bytes, rng: random.Random) -> list[Item]:
    items: list[Item] = []
    add = items.append
    for suffix in ("mp4", "avi", "mov", "mkv", "webm", "m4v"):
        add(Item("video", f"empty.{suffix}", b"", "empty"))
        for size in (1, 17, 4096, 65_536, 300_000):
            add(Item("video", f"random-{size}.{suffix}", rng.randbytes(size), "random bytes"))
    for fraction in (0.005, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9, 0.99):
        cut = max(1, int(len(video) * fraction))
        add(Item("video", f"truncated-{fraction}.mp4", video[:cut], "truncated video"))
        add(Item("video", f"tail-{fraction}.mp4", video[cut:], "headless video"))
    for density in (1e-4, 1e-3, 1e-2, 0.05, 0.2):
        for seed in range(3):
            broken = bytearray(video)
            local = random.Random(seed)
            for _ in range(max(1, int(len(broken) * density))):
                broken[local.randrange(len(broken))] = local.randrange(256)
            add(Item("video", f"flipped-{density}-{seed}.mp4", bytes(broken), "corrupted video"))
    add(Item("video", "zeroed-header.mp4", b"\x00" * 64 + video[64:], "corrupted video"))
    moov = video.find(b"moov")
    if moov > 0:
        add(
            Item(
                "video",
                "no-moov.mp4",
                video[:moov] + b"free" + video[moov + 4 :],
                "corrupted video",
            )
        )
    others = {
        "png": _png(64, 64), "jpeg": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + rng.randbytes(2000),
        "pdf": b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF", "html":
        b"<html><script>alert(1)</script></html>", "json": b'{"not": "a video"}', "text":
        b"hello\n" * 100, "elf": b"\x7fELF\x02\x01\x01" + b"\x00" * 500, "zip": _zip([("a.txt", b"a")]),
        "gif": b"GIF89a" + b"\x00" * 100, "svg": b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>",
        "pickle": b"\x80\x04\x95" + rng.randbytes(64), "sh": b"#!/bin/sh\nrm -rf /\n",
    }  # fmt: skip
    for kind, data in others.items():
        add(Item("video", f"{kind}-in-disguise.mp4", data, "not a video"))
    for width, height in ((100_000, 100_000), (65_535, 65_535), (20_000, 20_000), (8193, 8193),
                          (1, 70_000_000), (70_000_000, 1), (0, 0)):  # fmt: skip
        add(Item("video", f"y4m-{width}x{height}.mp4", _y4m(width, height), "huge declared size"))
    for width, height in ((100_000, 100_000), (30_000, 30_000), (9000, 9000), (1, 2**31 - 1)):
        add(Item("video", f"png-bomb-{width}x{height}.mp4", _png(width, height, rows=64),
                 "image decompression bomb"))  # fmt: skip
    add(Item("video", "zip-bomb.mp4", _zip([("zeros", b"\x00" * 20_000_000)]), "zip bomb"))
    for name in ("evil.exe", "noext", "video.mp4.exe", "video.txt", ".mp4", "movie.MP4.php"):
        add(Item("video", name, video, "bad suffix"))
    for name in ("../../../../tmp/escape.mp4", "/etc/cron.d/escape.mp4", "..\\..\\escape.mp4",
                 "a/../../escape.mp4", "C:\\Windows\\escape.mp4", "%2e%2e%2fescape.mp4",
                 "x" * 400 + ".mp4", "😀\u202e4pm.exe.mp4", "con.mp4", "a\x00b.mp4"):  # fmt: skip
        add(Item("video", name, video[: len(video) // 50], "path in file name"))
    return items


def import_items(video: bytes, rng: random.Random) -> list[Item]:
    items: list[Item] = []
    add = items.append
    for suffix in ("zip", "slp", "pkg.slp", "json"):
        add(Item("import", f"empty.{suffix}", b"", "empty"))
        for size in (1, 100, 50_000):
            add(Item("import", f"random-{size}.{suffix}", rng.randbytes(size), "random bytes"))
    for name in ("project.tar.gz", "project.7z", "project", "project.yaml", "project.h5",
                 "project.zip.exe"):  # fmt: skip
        add(Item("import", name, _zip([("a.txt", b"a")]), "bad suffix"))
    good = _zip([("proj/config.yaml", b"Task: x\nbodyparts: [nose]\n"),
                 ("proj/labeled-data/v/CollectedData_me.csv", b"scorer,me\n")])  # fmt: skip
    for fraction in (0.1, 0.3, 0.5, 0.8, 0.95):
        add(Item("import", f"truncated-{fraction}.zip", good[: int(len(good) * fraction)],
                 "truncated zip"))  # fmt: skip
    for depth in (1, 2, 5, 12):
        climb = "../" * depth
        for leaf in ("escape.txt", "etc/passwd", "labeled-data/x.png"):
            add(Item("import", f"climb-{depth}-{leaf.replace('/', '_')}.zip",
                     _zip([("proj/config.yaml", b"Task: x\n"), (climb + leaf, b"pwned")]),
                     "../ in archive"))  # fmt: skip
    for path in ("/tmp/escape.txt", "/etc/passwd", "C:\\Windows\\escape.txt", "C:/escape.txt",
                 "\\\\server\\share\\escape.txt", "proj\\..\\..\\escape.txt", "proj/\x00.txt",
                 "//double/escape.txt"):  # fmt: skip
        add(Item("import", f"absolute-{abs(hash(path)) % 10_000}.zip",
                 _zip([("proj/config.yaml", b"Task: x\n"), (path, b"pwned")]),
                 "absolute path in archive"))  # fmt: skip
    add(Item("import", "symlink.zip", _zip([("proj/link", b"/etc/passwd")], mode=stat.S_IFLNK | 0o777),
             "link in archive"))  # fmt: skip
    add(Item("import", "fifo.zip", _zip([("proj/fifo", b"")], mode=stat.S_IFIFO | 0o644),
             "special file in archive"))  # fmt: skip
    add(Item("import", "encrypted.zip", _zip([("proj/config.yaml", b"Task: x\n")], encrypted=True),
             "encrypted zip"))  # fmt: skip
    for declared, actual in ((100, 60_000_000), (1, 30_000_000), (2**32 - 1, 1000)):
        add(Item("import", f"lying-{declared}-{actual}.zip", _lying_zip(declared, actual),
                 "zip bomb (lying headers)"))  # fmt: skip
    add(Item("import", "bomb-60MB.zip", _zip([("proj/labeled-data/v/img.png", b"\x00" * 60_000_000)]),
             "zip bomb"))  # fmt: skip
    add(Item("import", "nested-bomb.zip", _nested_bomb(3, 20_000_000), "nested zip bomb"))
    add(Item("import", "many-entries.zip", _zip([(f"e/{i}", b"") for i in range(50_001)],
             method=zipfile.ZIP_STORED), "too many entries"))  # fmt: skip
    add(Item("import", "png-bomb.zip", _zip([
        ("proj/annotations.json", _coco([{"id": 1, "file_name": "bomb.png", "width": 60000,
                                           "height": 60000}])),
        ("proj/bomb.png", _png(60_000, 60_000, rows=32))]), "image decompression bomb"))  # fmt: skip
    for name in ("../../../../etc/passwd", "/etc/passwd", "..\\..\\secret.png", "C:/x.png",
                 "images/../../x.png", "", "\x00", "a" * 5000):  # fmt: skip
        images = [{"id": 1, "file_name": name, "width": 64, "height": 64}]
        annotations = [{"id": 1, "image_id": 1, "category_id": 1, "keypoints": [1, 1, 2, 2, 2, 2]}]
        add(Item("import", f"coco-path-{len(items)}.json", _coco(images, annotations),
                 "path in COCO json"))  # fmt: skip
        add(Item("import", f"coco-path-{len(items)}.zip",
                 _zip([("proj/annotations.json", _coco(images, annotations))]), "path in COCO zip"))  # fmt: skip
    for body in (b"{", b"[]", b"null", b'{"images": "x"}', b'{"images": [{"id": {}}]}',
                 json.dumps({"images": [{"id": 1, "file_name": "a.png", "width": -5,
                                         "height": 10**12}], "annotations": [],
                             "categories": []}).encode(),
                 b'{"a":' * 100_000, json.dumps({"images": [], "annotations": [{"keypoints": ["x"] * 10**5}],
                                                "categories": [{"keypoints": ["n"] * 10**5}]}).encode()):  # fmt: skip
        add(Item("import", f"bad-coco-{len(items)}.json", body, "malformed json"))
    dlc_configs = [
        b"Task: x\nscorer: me\nbodyparts: [nose]\nvideo_sets:\n  /etc/passwd: {crop: '0, 10, 0, 10'}\n",
        b"Task: x\nscorer: me\nbodyparts: [nose]\nvideo_sets:\n  ../../../../etc/passwd: {crop: '0, 1, 0, 1'}\n",
        b"!!python/object/apply:os.system ['touch /tmp/poseforge-yaml-pwned']\n",
        b"Task: &a [*a, *a]\n",
        b"bodyparts: !!python/name:os.system\n",
        b"a: &a ['lol','lol']\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
        b"d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n",
    ]  # fmt: skip
    for i, config in enumerate(dlc_configs):
        table = b"scorer,me\nbodyparts,nose\ncoords,x\nlabeled-data/v/../../../../etc/passwd,1\n"
        add(Item("import", f"dlc-{i}.zip", _zip([("proj/config.yaml", config),
                                                ("proj/labeled-data/v/CollectedData_me.csv", table)]),
                 "hostile DLC project"))  # fmt: skip
    add(Item("import", "video-as-slp.slp", video, "not a SLEAP file"))
    add(Item("import", "png-as-pkg.pkg.slp", _png(64, 64), "not a SLEAP file"))
    add(
        Item(
            "import", "hdf5-junk.slp", b"\x89HDF\r\n\x1a\n" + rng.randbytes(5000), "corrupted HDF5"
        )
    )
    return items


def corpus(video: bytes, seed: int = 7) -> list[Item]:
    rng = random.Random(seed)
    return video_items(video, rng) + import_items(video, rng) + path_items()


def fast_subset(items: list[Item]) -> list[Item]:
    """One of each kind (the normal suite); the full corpus runs under make reliability."""
    seen: set[tuple[str, str]] = set()
    out = []
    for item in items:
        key = (item.target, item.kind)
        if key not in seen and len(item.data) < 5_000_000:
            seen.add(key)
            out.append(item)
    return out
