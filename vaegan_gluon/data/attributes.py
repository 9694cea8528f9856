"""Attribute tables in CelebA's ``list_attr_celeba.txt`` format."""
import numpy as np
import pandas as pd


def read_celeba_attributes(path):
    """Read a ``list_attr_celeba.txt``-format file into a DataFrame indexed by file name.

    Format: line 1 the number of rows, line 2 the attribute names, then ``filename v1 v2 ...`` with
    values -1 / 1 (whitespace-separated). Values are mapped -1 -> 0, 1 -> 1 (int64). Errors name the
    file and line.
    """
    with open(path, "r", encoding="utf-8") as f:
        lines = [ln.strip() for ln in f if ln.strip()]
    if len(lines) < 2:
        raise ValueError(f"{path}: an attribute file needs a count line and a names line")
    try:
        count = int(lines[0].split()[0])
    except ValueError:
        raise ValueError(f"{path}: line 1 must be the number of rows, got {lines[0][:60]!r}") from None
    names = lines[1].split()
    files, rows = [], []
    for lineno, line in enumerate(lines[2:], start=3):
        parts = line.split()
        if len(parts) != len(names) + 1:
            raise ValueError(f"{path}: line {lineno} has {len(parts) - 1} values for {len(names)} attributes")
        try:
            values = [int(v) for v in parts[1:]]
        except ValueError:
            raise ValueError(f"{path}: line {lineno} has a non-integer value: {line[:80]!r}") from None
        if any(v not in (-1, 0, 1) for v in values):
            raise ValueError(f"{path}: line {lineno}: attribute values must be -1 or 1")
        files.append(parts[0])
        rows.append(values)
    if len(files) != count:
        raise ValueError(f"{path}: line 1 says {count} rows but the file has {len(files)}")
    table = np.maximum(np.asarray(rows, dtype=np.int64).reshape(len(rows), len(names)), 0)
    return pd.DataFrame(table, index=pd.Index(files, name="file"), columns=names)


def align_attributes(table, rel_paths, path="attributes"):
    """Rows of ``table`` (indexed by file name) in the order of ``rel_paths``.

    A row matches an image by its relative path (``a/b.jpg``) or, failing that, its base name
    (``b.jpg``, CelebA's convention). Images without a row are an error naming the first few.
    """
    index = {str(k): i for i, k in enumerate(table.index)}
    rows, missing = [], []
    for rel in rel_paths:
        i = index.get(rel)
        if i is None:
            i = index.get(rel.rsplit("/", 1)[-1])
        if i is None:
            missing.append(rel)
        rows.append(i)
    if missing:
        raise ValueError(f"{path}: no attribute row for {len(missing)} of {len(rel_paths)} images, e.g. "
                         f"{missing[:3]} (rows are matched by relative path or base name)")
    out = table.iloc[rows].copy()
    out.index = pd.Index(list(rel_paths), name="file")
    return out
