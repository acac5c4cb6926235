"""Read pandas' HDF5 label tables (DeepLabCut ``CollectedData_*.h5``) without unpickling.

``pandas.read_hdf`` unpickles object columns, and PyTables unpickles node attributes,
so a crafted .h5 runs code on the worker. Here the file is opened with h5py alone:

1. Every dataset under the table's group is checked first: an object / variable-length
   dtype or a ``PSEUDOATOM`` attribute (how PyTables stores pickled values) refuses
   the whole file, before any value is read.
2. "fixed" format (``pandas_type=frame``): index and column labels come from
   fixed-width string datasets (``kind=string``) plus integer codes; values from
   numeric ``block<i>_values`` arrays.
3. "table" format (``pandas_type=frame_table``, what DeepLabCut writes): values and the
   string index come from the compound ``table`` dataset; the column labels exist
   only as protocol-0 pickles in attributes. Those are decoded by an unpickler that
   resolves no class or function at all, so nothing but lists, tuples, dicts,
   strings and numbers can come out of them.
"""

from __future__ import annotations

import io
import pickle
from pathlib import Path

import numpy as np
import pandas as pd

from backend.interchange.data import FormatError

MAX_CELLS = 20_000_000  # a label table is thousands of cells; this bounds memory, not use
_NUMERIC = "fiub"


class _DataOnlyUnpickler(pickle.Unpickler):
    """Every global lookup fails: no class can be built and no function called."""

    def find_class(self, module: str, name: str):  # noqa: ANN201 - signature of the base
        raise pickle.UnpicklingError(f"refusing {module}.{name}")


def _pickled(path: Path) -> FormatError:
    return FormatError(
        f"{path.name} contains pickled Python data, which PoseForge never loads; export the "
        "labels as CSV (CollectedData_<scorer>.csv) and upload that instead."
    )


def _text(value) -> str:
    if isinstance(value, bytes | np.bytes_):
        return bytes(value).decode("utf-8", errors="replace")
    return str(value)


def _attr_data(path: Path, raw) -> object:
    """A pickled attribute holding plain data (lists of label tuples)."""
    try:
        return _DataOnlyUnpickler(io.BytesIO(bytes(raw))).load()
    except Exception:  # noqa: BLE001 - any failure means "not plain data"
        raise _pickled(path) from None


def _check_datasets(path: Path, group) -> None:
    import h5py

    def visit(_name: str, node) -> None:
        if "PSEUDOATOM" in node.attrs:
            raise _pickled(path)
        if isinstance(node, h5py.Dataset):
            dtype = node.dtype
            fields = [dtype.fields[f][0] for f in dtype.names] if dtype.names else [dtype]
            for field in fields:
                base = field.base if field.subdtype else field
                if base.kind == "O" or h5py.check_vlen_dtype(base) is not None:
                    raise _pickled(path)

    group.visititems(visit)


def _array(path: Path, dataset, kinds: str) -> np.ndarray:
    if dataset.dtype.kind not in kinds:
        raise (
            _pickled(path)
            if dataset.dtype.kind == "O"
            else FormatError(
                f"{path.name}: dataset {dataset.name} has unexpected type {dataset.dtype}."
            )
        )
    if dataset.size > MAX_CELLS:
        raise FormatError(f"{path.name} is larger than a label table can be.")
    return dataset[()]


def _strings(path: Path, dataset) -> list[str]:
    if _text(dataset.attrs.get("kind", b"")) != "string":
        raise FormatError(f"{path.name}: labels of {dataset.name} are not plain strings.")
    return [_text(v) for v in _array(path, dataset, "S").ravel()]


def _fixed_index(path: Path, group, key: str) -> pd.Index:
    variety = _text(group.attrs.get(f"{key}_variety", b""))
    if variety == "regular":
        return pd.Index(_strings(path, group[key]))
    if variety != "multi":
        raise FormatError(f"{path.name}: unsupported index layout {variety!r}.")
    levels, codes = [], []
    for i in range(int(group.attrs[f"{key}_nlevels"])):
        levels.append(_strings(path, group[f"{key}_level{i}"]))
        codes.append(np.asarray(_array(path, group[f"{key}_label{i}"], "iu"), dtype=np.int64))
    try:
        return pd.MultiIndex(levels=levels, codes=codes)
    except (ValueError, IndexError) as exc:
        raise FormatError(f"{path.name}: inconsistent index {key}: {exc}") from None


def _read_fixed(path: Path, group) -> pd.DataFrame:
    columns = _fixed_index(path, group, "axis0")
    index = _fixed_index(path, group, "axis1")
    cells = np.full((len(index), len(columns)), np.nan)
    for i in range(int(group.attrs.get("nblocks", 0))):
        items = _fixed_index(path, group, f"block{i}_items")
        node = group[f"block{i}_values"]
        values = np.asarray(_array(path, node, _NUMERIC), dtype=float)
        if not int(node.attrs.get("transposed", 0)):
            values = values.T  # stored (items, rows) unless flagged as transposed
        if values.shape != (len(index), len(items)):
            raise FormatError(f"{path.name}: block {i} does not match its labels.")
        where = columns.get_indexer(items)
        if (where < 0).any():
            raise FormatError(f"{path.name}: block {i} names columns the table lacks.")
        cells[:, where] = values
    return pd.DataFrame(cells, index=index, columns=columns)


def _read_table(path: Path, group) -> pd.DataFrame:
    if "table" not in group:
        raise FormatError(f"{path.name}: the label table is missing.")
    table = group["table"]
    if _text(table.attrs.get("index_kind", b"")) != "string":
        raise FormatError(f"{path.name}: the table's row labels are not image paths.")
    rows = _array(path, table, "V")
    if "index" not in (rows.dtype.names or ()):
        raise FormatError(f"{path.name}: the table has no index column.")
    index = [_text(v) for v in rows["index"]]
    blocks = _attr_data(path, group.attrs.get("values_cols", b"(l."))
    labels, arrays = [], []
    for block in blocks if isinstance(blocks, list) else []:
        block = str(block)
        names = _attr_data(path, table.attrs.get(f"{block}_kind", b"(l."))
        if block not in rows.dtype.names or rows.dtype[block].base.kind not in _NUMERIC:
            raise FormatError(f"{path.name}: column block {block!r} is not numeric.")
        values = np.asarray(rows[block], dtype=float).reshape(len(rows), -1)
        if not isinstance(names, list) or len(names) != values.shape[1]:
            raise FormatError(f"{path.name}: column labels of {block!r} do not match its values.")
        labels += [tuple(str(p) for p in n) if isinstance(n, tuple) else str(n) for n in names]
        arrays.append(values)
    if not arrays:
        raise FormatError(f"{path.name}: the table holds no values.")
    columns = pd.MultiIndex.from_tuples(labels) if isinstance(labels[0], tuple) else labels
    return pd.DataFrame(np.hstack(arrays), index=pd.Index(index), columns=columns)


def read_pandas_hdf(path: Path, key: str) -> pd.DataFrame:
    """The DataFrame pandas stored under ``key``; FormatError for anything that is not
    a plain numeric table with string labels."""
    import h5py

    try:
        with h5py.File(path, "r") as handle:
            group = handle.get(key)
            if group is None or not isinstance(group, h5py.Group):
                raise FormatError(f"{path.name} has no {key!r} table.")
            _check_datasets(path, group)
            kind = _text(group.attrs.get("pandas_type", b""))
            if kind == "frame":
                return _read_fixed(path, group)
            if kind == "frame_table":
                return _read_table(path, group)
            raise FormatError(f"{path.name}: unsupported pandas HDF5 layout {kind!r}.")
    except (OSError, KeyError, ValueError, TypeError) as exc:
        raise FormatError(f"{path.name} cannot be read as DeepLabCut labels: {exc}") from None


__all__ = ["read_pandas_hdf"]
