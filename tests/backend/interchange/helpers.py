"""Helpers for interchange tests: small real-data subsets built in tmp folders."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path, PurePosixPath

import numpy as np
import pandas as pd

OPENFIELD = "openfield-Pranav-2018-10-30"
REACHING = "Reaching-Mackenzie-2018-08-30"
MONTBLANC = "MontBlanc-Daniel-2019-12-16"
PAIR = "sleap-centered-pair"


def original_table(root: Path, rel_csv: str, n_header: int = 3) -> pd.DataFrame:
    return pd.read_csv(root / rel_csv, header=list(range(n_header)), index_col=0)


def by_image(df: pd.DataFrame) -> dict[str, np.ndarray]:
    """Image file name -> row values (float, NaN kept)."""
    return {
        str(k).replace("\\", "/").rsplit("/", 1)[-1]: v
        for k, v in zip(df.index, df.to_numpy(float), strict=True)
    }


def openfield_subset(shared: Path, dest: Path, n: int = 5, three_col: bool = False,
                     h5_only: bool = False) -> Path:  # fmt: skip
    """A small copy of the openfield project: first n labeled images (copied: importers refuse
    links), same labels."""
    src = shared / OPENFIELD
    root = dest / "openfield-small"
    folder = root / "labeled-data" / "m4s1"
    folder.mkdir(parents=True)
    (root / "config.yaml").write_text((src / "config.yaml").read_text())
    df = original_table(src, "labeled-data/m4s1/CollectedData_Pranav.csv").iloc[:n]
    for rel in df.index:
        shutil.copyfile(src / rel, root / rel)
    if three_col:
        df.index = pd.MultiIndex.from_tuples([tuple(str(r).split("/")) for r in df.index])
    if h5_only:
        df.to_hdf(folder / "CollectedData_Pranav.h5", key="df_with_missing", mode="w")
    else:
        df.to_csv(folder / "CollectedData_Pranav.csv")
    return root


def zip_dir(folder: Path, dest: Path) -> Path:
    with zipfile.ZipFile(dest, "w") as archive:
        for file in sorted(folder.rglob("*")):
            if file.is_file():
                archive.write(file, Path(folder.name) / file.relative_to(folder))
    return dest


def unzip(path: Path, dest: Path) -> Path:
    with zipfile.ZipFile(path) as archive:
        archive.extractall(dest)
    entries = list(dest.iterdir())
    return entries[0] if len(entries) == 1 and entries[0].is_dir() else dest


MEDIA_FOLDERS = ("projects", "interchange", "cache", "models", "predictions")


def media_files() -> list[PurePosixPath]:
    """Every stored media file (local disk or S3), as keys."""
    from backend.common import storage

    return [PurePosixPath(key) for folder in MEDIA_FOLDERS for key in storage.list_keys(folder)]


# Set for each test by conftest's autouse fixture (pytest-django's on-commit capture).
_capture = None


def post_committed(client, url, data, format):
    """POST, then run the job tasks (eager Celery) as the request's transaction commits."""
    with _capture(execute=True):
        return client.post(url, data, format=format)
