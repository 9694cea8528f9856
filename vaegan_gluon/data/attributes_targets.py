"""Binary attribute targets for the discriminator's auxiliary attribute head.

:func:`attribute_targets` turns an :class:`~vaegan_gluon.data.imageset.ImageSet`'s attribute table
into a float32 ``(N, K)`` matrix of 0/1 targets (the input of
:func:`vaegan_gluon.losses.attribute_loss`) and the names of its K columns:

- boolean columns (``synthetic-faces``: ``smiling``, ``mouth_open``, ``blush``, ``glasses``) -> 0/1;
- integer columns holding only 0/1 (CelebA's ``list_attr_celeba.txt`` as read by ``image-folder``
  ``attributes=``, already mapped -1 -> 0) or -1/1 (a raw CelebA table) -> 0/1;
- categorical columns (pandas ``category``, or strings) -> one-hot, one target per category named
  ``"column=category"``; a ``category`` dtype keeps *all* its categories, so train and test splits get
  the same K (string columns use the sorted values present);
- other numeric columns (``synthetic-faces``' pose jitter ``dx``, ``dy``, ``scale``, ``angle``) are
  not binary targets: left out by default, an error if asked for by name.

For ``synthetic-faces`` the default gives K = 34 (6 categoricals with 6 + 4 + 5 + 4 + 6 + 5
categories, 4 booleans); for CelebA, its 40 attributes.
"""
import numpy as np
import pandas as pd

__all__ = ["attribute_targets"]


def _binary_numeric(values):
    """0/1 float32 of a numeric column holding only {0, 1} or {-1, 1}; None if it is not binary."""
    v = np.asarray(values, dtype=np.float64)
    if np.isnan(v).any():
        return None
    present = set(np.unique(v).tolist())
    if present <= {0.0, 1.0}:
        return v.astype(np.float32)
    if present <= {-1.0, 1.0}:
        return (v > 0).astype(np.float32)
    return None


def _encode(name, col):
    """``(list of (N,) float32 arrays, list of names)`` for one column, or None if not a binary target."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        if col.isna().any():
            raise ValueError(f"attribute column {name!r} has missing values")
        return [(col == c).to_numpy(np.float32) for c in col.cat.categories], \
               [f"{name}={c}" for c in col.cat.categories]
    if pd.api.types.is_bool_dtype(col):
        return [col.to_numpy(np.float32)], [name]
    if pd.api.types.is_numeric_dtype(col):
        b = _binary_numeric(col.to_numpy())
        return None if b is None else ([b], [name])
    if col.isna().any():
        raise ValueError(f"attribute column {name!r} has missing values")
    cats = sorted(col.astype(str).unique())
    s = col.astype(str)
    return [(s == c).to_numpy(np.float32) for c in cats], [f"{name}={c}" for c in cats]


def attribute_targets(imageset, columns=None):
    """``(targets, names)``: float32 ``(N, K)`` 0/1 attribute targets and their K column names.

    Parameters
    ----------
    imageset : ImageSet (with ``.attributes``) or a pandas DataFrame (one row per image).
    columns : list of str, optional
        Attribute columns to use, in this order (each boolean / binary / categorical; a categorical
        expands to its one-hot columns). None: every boolean, binary-integer and categorical column in
        table order; non-binary numeric columns (pose jitter) are skipped.
    """
    table = imageset if isinstance(imageset, pd.DataFrame) else getattr(imageset, "attributes", None)
    if table is None:
        raise ValueError(f"{getattr(imageset, 'name', 'the data')} has no attribute table: attribute targets "
                         "need e.g. synthetic-faces or image-folder with attributes=<list_attr_celeba.txt>")
    if columns is None:
        names = list(table.columns)
    else:
        names = [columns] if isinstance(columns, str) else list(columns)
        missing = [c for c in names if c not in table.columns]
        if missing:
            raise ValueError(f"unknown attribute column(s) {missing}; the table has {list(table.columns)}")
    arrays, out_names = [], []
    for name in names:
        enc = _encode(name, table[name])
        if enc is None:
            if columns is not None:
                raise ValueError(f"attribute column {name!r} is numeric but not binary (values other than "
                                 "0/1 or -1/1): it cannot be an attribute target")
            continue
        arrays += enc[0]
        out_names += enc[1]
    if not arrays:
        raise ValueError(f"no binary or categorical attribute columns among {names}")
    targets = np.ascontiguousarray(np.stack(arrays, axis=1), dtype=np.float32)
    return targets, out_names
