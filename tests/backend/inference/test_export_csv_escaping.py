"""A run's DLC CSV guards node names against spreadsheet formulas; the H5 keeps them."""

from __future__ import annotations

import csv
import io

import pandas as pd
import pytest

pytestmark = pytest.mark.django_db

NAMES = ['=HYPERLINK("http://evil.example","x")', "+cmd", "-ear"]


def _download(client, run, fmt) -> bytes:
    response = client.get(f"/api/inference-runs/{run.id}/export/{fmt}/")
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def test_prediction_csv_escapes_node_names_not_numbers(client_for, finished_run, vic, tmp_path):
    version = finished_run.model_version
    version.config = {**version.config, "node_names": NAMES}
    version.save(update_fields=["config"])
    rows = list(
        csv.reader(io.StringIO(_download(client_for(vic), finished_run, "dlc-csv").decode()))
    )
    assert rows[1][1:4] == ["'" + NAMES[0]] * 3
    assert rows[1][4] == "'+cmd" and rows[1][7] == "'-ear"
    numbers = [c for row in rows[3:] for c in row[1:] if c]
    assert numbers and not any(c.startswith("'") for c in numbers)
    assert len([float(c) for c in numbers]) == len(numbers)  # all still parse as numbers
    path = tmp_path / "pred.h5"
    path.write_bytes(_download(client_for(vic), finished_run, "dlc-h5"))
    table = pd.read_hdf(path, key="df_with_missing")
    assert list(dict.fromkeys(table.columns.get_level_values("bodyparts"))) == NAMES
