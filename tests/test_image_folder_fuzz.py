"""image-folder on hostile files: every file loaded or skipped with its reason, no crash, no hang.

The files come from the faults campaign's generators (:mod:`benchmarks.faults`); the campaign runs
5,000+ of them, this test a few hundred.
"""
import os
import sys
import warnings

import numpy as np
import pytest
from PIL import Image

from vaegan_gluon.data import image_folder as imf

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
from benchmarks.faults import mutated_images, special_images  # noqa: E402


def load(folder, tmp_path, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return imf.load_image_folder("all", path=str(folder), size=16, cache_dir=str(tmp_path / "cache"), **kw)


def test_special_files_are_loaded_or_skipped_with_their_reason(tmp_path):
    folder = tmp_path / "imgs"
    expected = special_images(str(folder))
    s = load(folder, tmp_path)
    skipped = s.provenance["skipped_files"]
    for name, what in expected.items():
        assert (name in skipped) == (what == "skip"), (name, skipped.get(name))
    assert "non-finite pixel values (NaN or inf)" in skipped["float_nan.tif"]
    assert str(folder / "float_inf.tif") in skipped["float_inf.tif"]         # the file is named
    assert "decompression-bomb limit" in skipped["bomb_1x.png"]              # refused before decoding
    assert "ecompression" in skipped["bomb.png"]
    assert "no pixels" in skipped["zero.png"] or "cannot decode" in skipped["zero.png"]
    assert len(s) + len(skipped) == len(imf.list_images(str(folder)))
    assert np.isfinite(s.images).all()


def test_nan_tiff_in_strict_mode_names_the_file(tmp_path):
    a = np.random.RandomState(0).rand(8, 8).astype(np.float32)
    a[1, 1] = np.nan
    Image.fromarray(a, "F").save(tmp_path / "nan.tif")
    Image.fromarray((a * 0 + 0.5).astype(np.float32), "F").save(tmp_path / "ok.tif")
    with pytest.raises(imf.BadImageError, match=r"nan\.tif.*non-finite"):
        load(tmp_path, tmp_path, strict=True)


def test_mutated_files_never_crash_and_are_all_accounted_for(tmp_path):
    folder = tmp_path / "mutated"
    made = mutated_images(str(folder), 300, seed=1)
    s = load(folder, tmp_path)
    skipped = s.provenance["skipped_files"]
    assert len(s) + len(skipped) == len(made) == s.provenance["files_found"]
    assert all(reason and os.path.basename(str(folder)) in reason for reason in skipped.values())
    assert np.isfinite(s.images).all() and 0 < len(s) < len(made)
    # the cached result keeps the reasons
    again = load(folder, tmp_path)
    assert again.provenance["cached"] and again.provenance["skipped_files"] == skipped


def test_a_slow_file_is_skipped_at_the_time_limit(tmp_path, monkeypatch):
    import time
    Image.new("RGB", (8, 8)).save(tmp_path / "a.png")
    Image.new("RGB", (8, 8)).save(tmp_path / "b.png")
    real = imf.decode_image
    finished = []

    def slow(path, mode="rgb"):
        if path.endswith("a.png"):
            for _ in range(100):   # 5 s in short sleeps: the time limit interrupts it
                time.sleep(0.05)
            finished.append(path)
        return real(path, mode)
    monkeypatch.setattr(imf, "decode_image", slow)
    monkeypatch.setattr(imf, "FILE_SECONDS", 0.2)
    s = load(tmp_path, tmp_path)
    assert finished == [] and len(s) == 1   # the slow decode was abandoned, not waited for
    assert "took longer than 0.2 s" in s.provenance["skipped_files"]["a.png"]
