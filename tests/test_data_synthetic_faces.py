"""Tests of the synthetic-faces generator: shapes, determinism, attributes, visibility, cache, speed."""

import numpy as np
import pandas as pd
import pytest

from vaegan_gluon.data import load
from vaegan_gluon.data import synthetic_faces as sf


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("VAEGAN_CACHE", str(tmp_path / "cache"))


def test_shapes_ranges_and_split_by_index():
    tr, te, al = (load("synthetic-faces", split=s, n=50, size=32) for s in ("train", "test", "all"))
    assert tr.images.shape == (40, 3, 32, 32) and te.images.shape == (10, 3, 32, 32) and len(al) == 50
    for s in (tr, te, al):
        assert s.images.dtype == np.float32 and 0 <= s.images.min() and s.images.max() <= 1
        assert s.labels is None and isinstance(s.attributes, pd.DataFrame) and len(s.attributes) == len(s)
        assert s.provenance["count"] == len(s) and len(s.provenance["checksum"]) == 64
    assert tr.attributes.index.tolist() == list(range(40)) and te.attributes.index.tolist() == list(range(40, 50))
    np.testing.assert_array_equal(np.concatenate([tr.images, te.images]), al.images)
    assert al.images.std() > 0.1                               # not blank
    assert load("synthetic-faces", split="all", n=4, size=80).image_shape == (3, 80, 80)


def test_deterministic_and_index_independent_of_n():
    a = load("synthetic-faces", split="all", n=12, size=32, seed=3, cache_dir=None)
    b, attrs_b = sf.generate(np.arange(30), 32, seed=3)
    np.testing.assert_array_equal(a.images, b[:12].astype(np.float32) / 255)   # same pixels, other n
    pd.testing.assert_frame_equal(a.attributes, attrs_b.iloc[:12])
    one, _ = sf.generate([7], 32, seed=3)
    np.testing.assert_array_equal(one[0], b[7])                                   # alone == in a batch
    other, _ = sf.generate(np.arange(12), 32, seed=4)
    assert not np.array_equal(other, b[:12])
    attrs, _ = sf.sample_attributes(3, 7)
    np.testing.assert_array_equal(sf.render(attrs, 32, seed=3, index=7).transpose(2, 0, 1), b[7])


def test_attribute_table_columns_and_balance():
    rows = [sf.sample_attributes(0, i)[0] for i in range(3000)]
    df = sf.attribute_frame(rows, np.arange(3000))
    for col in ("hair_colour", "hair_style", "eye_colour", "skin_tone", "smiling", "mouth_open", "blush",
                "glasses", "background_colour", "dx", "dy", "scale", "angle"):
        assert col in df.columns
    minimum = {"hair_colour": 4, "hair_style": 3, "eye_colour": 4, "skin_tone": 3, "background_colour": 4}
    for col, k in minimum.items():
        counts = df[col].value_counts()
        assert len(counts) >= k and (counts > 0.6 * len(df) / len(counts)).all(), (col, counts)
    for col in sf.BOOLEAN:
        assert df[col].dtype == bool and 0.3 < df[col].mean() < 0.7, col
    assert df["angle"].abs().max() <= 12 and df["angle"].std() > 4
    assert 0.85 < df["scale"].min() and df["scale"].max() < 1.1
    assert df["dx"].abs().max() <= 0.06 and df["dy"].std() > 0.02


def _toggled(attr, value, index):
    attrs, _ = sf.sample_attributes(0, index)
    base = dict(attrs, smiling=False, mouth_open=False, blush=False, glasses=False, angle=0.0, dx=0.0,
                dy=0.0, scale=1.0)
    on = dict(base, **{attr: value})
    return (sf.render(base, 64, 0, index).astype(float), sf.render(on, 64, 0, index).astype(float))


@pytest.mark.parametrize("attr,value,rows", [
    ("smiling", True, slice(38, 48)), ("mouth_open", True, slice(38, 48)),
    ("blush", True, slice(35, 44)), ("glasses", True, slice(26, 42))])
def test_each_binary_attribute_is_visible_where_it_belongs(attr, value, rows):
    """Toggling one attribute changes pixels clearly, and (almost) only in its own region of the face."""
    for index in range(5):
        off, on = _toggled(attr, value, index)
        diff = np.abs(on - off).sum(2)
        assert (diff > 60).sum() >= 8, (attr, index)                 # at least 8 clearly changed pixels
        inside = diff[rows].sum()
        assert inside > 0.9 * diff.sum(), (attr, index)


@pytest.mark.parametrize("attr", ["hair_colour", "hair_style", "eye_colour", "skin_tone", "background_colour"])
def test_each_categorical_value_gives_a_different_image(attr):
    attrs, _ = sf.sample_attributes(0, 1)
    images = [sf.render(dict(attrs, **{attr: v}), 64, 0, 1).astype(float) for v in sf.CATEGORICAL[attr]]
    for i in range(len(images)):
        for j in range(i + 1, len(images)):
            assert np.abs(images[i] - images[j]).sum(2).max() > 60, (attr, i, j)


def test_second_load_hits_the_cache(monkeypatch):
    first = load("synthetic-faces", split="test", n=20, size=32)
    assert first.provenance["cached"] is False
    monkeypatch.setattr(sf, "draw_face", lambda *a, **k: (_ for _ in ()).throw(AssertionError("redrawn")))
    second = load("synthetic-faces", split="test", n=20, size=32)
    assert second.provenance["cached"] is True
    np.testing.assert_array_equal(first.images, second.images)
    pd.testing.assert_frame_equal(first.attributes, second.attributes)


def test_generate_is_per_index_and_batch_independent():
    """A face depends on its index only (not on the batch it was drawn in): what lets 10,000 faces be
    drawn in any batches. (Its speed is a benchmark, not a test: no wall-clock bar here.)"""
    small, small_attrs = sf.generate(np.arange(5), 64)
    big, _ = sf.generate(np.arange(20), 64)
    shifted, shifted_attrs = sf.generate(np.arange(3, 8), 64)
    assert big.shape == (20, 3, 64, 64) and big.dtype == np.uint8
    np.testing.assert_array_equal(big[:5], small)
    np.testing.assert_array_equal(shifted[:2], small[3:5])
    pd.testing.assert_frame_equal(shifted_attrs.iloc[:2], small_attrs.iloc[3:5])
