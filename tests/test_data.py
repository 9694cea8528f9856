"""Tests of vaegan_gluon.data: every source, the cache, bad and odd files, splits, error messages."""
import gzip
import hashlib
import os
import struct
import warnings

import cv2
import numpy as np
import pandas as pd
import pytest
from PIL import Image

from vaegan_gluon import data
from vaegan_gluon.data import image_folder, load, mnist, sources
from vaegan_gluon.data.idx import read_idx

DEBIAN = "/usr/share/datasets/fashion-mnist"


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    """Every test gets its own cache dir, so no test sees another's (or the user's) cache."""
    monkeypatch.setenv("VAEGAN_CACHE", str(tmp_path / "cache"))
    mnist._MNIST5K_MEMO.clear()


# ------------------------------------------------------------------------------------------- API
def test_sources_lists_every_name():
    names = sources()
    assert set(names) == {"mnist-5k", "mnist", "fashion-mnist", "image-folder", "synthetic-faces"}
    assert all(isinstance(d, str) and d and "\n" not in d for d in names.values())


def test_unknown_name_lists_the_sources():
    with pytest.raises(ValueError) as e:
        load("cifar-10")
    assert "cifar-10" in str(e.value) and all(n in str(e.value) for n in sources())


def test_unknown_option_and_split_are_named():
    with pytest.raises(TypeError) as e:
        load("mnist-5k", colour=True)
    assert "colour" in str(e.value) and "cache_dir" in str(e.value)
    with pytest.raises(TypeError) as e:
        load("synthetic-faces", nn=3)
    assert "nn" in str(e.value) and "n=10000" in str(e.value) and "size=64" in str(e.value)
    with pytest.raises(ValueError, match="validation"):
        load("mnist-5k", split="validation")


def test_default_cache_dir(monkeypatch):
    monkeypatch.setenv("VAEGAN_CACHE", "/tmp/somewhere")
    assert data.default_cache_dir() == "/tmp/somewhere"
    monkeypatch.delenv("VAEGAN_CACHE")
    assert data.default_cache_dir() == os.path.join(os.path.expanduser("~"), ".cache", "vaegan_gluon")


# -------------------------------------------------------------------------------------- mnist-5k
def test_mnist5k_shapes_ranges_and_stratified_split():
    tr, te, al = (load("mnist-5k", split=s) for s in ("train", "test", "all"))
    assert tr.images.shape == (4500, 1, 28, 28) and te.images.shape == (500, 1, 28, 28)
    assert al.images.shape == (5000, 1, 28, 28) and len(al) == 5000 and al.image_shape == (1, 28, 28)
    for s in (tr, te, al):
        assert s.images.dtype == np.float32 and s.labels.dtype == np.int64
        assert s.images.min() == 0.0 and s.images.max() == 1.0
        assert s.attributes is None
        assert {"source", "path", "count", "checksum", "split"} <= set(s.provenance)
        assert s.provenance["count"] == len(s)
        assert s.provenance["checksum"] == hashlib.sha256(s.images.tobytes()).hexdigest()
    assert np.bincount(te.labels).tolist() == [50] * 10
    assert np.bincount(tr.labels).tolist() == [450] * 10
    # disjoint and together the whole set: compare image bytes
    keys = lambda s: {im.tobytes() + bytes([int(l)]) for im, l in zip(s.images, s.labels)}
    k_tr, k_te = keys(tr), keys(te)
    assert not (k_tr & k_te) and (k_tr | k_te) == keys(al)


def test_mnist5k_split_is_pinned():
    """Same split on every machine: the test indices hash to a fixed value."""
    test_idx = mnist.mnist5k_split_indices()["test"]
    assert test_idx[:8].tolist() == [1205, 3733, 2551, 3657, 3104, 2152, 2355, 1386]
    assert hashlib.sha256(test_idx.tobytes()).hexdigest().startswith("fb451b87fc73718a")
    # shuffled order: the first ten validation images are mixed digits, not ten zeros
    assert len(set(load("mnist-5k", split="test").labels[:10].tolist())) >= 5


def test_mnist5k_digits_look_like_digits():
    s = load("mnist-5k", split="all")
    # a one has much less ink than a zero or an eight, and ink sits in the middle of the frame
    ink = s.images.reshape(5000, -1).mean(1)
    assert ink[s.labels == 1].mean() < 0.7 * ink[s.labels == 0].mean()
    centre = s.images[:, 0, 8:20, 8:20].mean()
    border = np.concatenate([s.images[:, 0, :3].ravel(), s.images[:, 0, -3:].ravel()]).mean()
    assert centre > 10 * border


def test_mnist5k_cache_is_used(monkeypatch, tmp_path):
    load("mnist-5k")
    cached = list((tmp_path / "cache" / "mnist-5k").glob("*.npy"))
    assert len(cached) == 1
    mnist._MNIST5K_MEMO.clear()

    def no_parse(*a, **k):
        raise AssertionError("the CSV was parsed although the .npy cache exists")
    monkeypatch.setattr(pd, "read_csv", no_parse)   # the cache hit is the behaviour: no CSV parse
    s = load("mnist-5k", split="train")
    assert s.images.shape == (4500, 1, 28, 28)


# --------------------------------------------------------------------------------- ImageSet methods
def test_subset_and_take_keep_everything_aligned():
    s = load("mnist-5k", split="test")
    s.attributes = pd.DataFrame({"digit": s.labels, "row": np.arange(len(s))})
    sub = s.subset(10)
    assert len(sub) == 10 and sub.labels.tolist() == s.labels[:10].tolist()
    assert sub.provenance["count"] == 10 and sub.provenance["checksum"] != s.provenance["checksum"]
    idx = [499, 3, 250]
    t = s.take(idx)
    np.testing.assert_array_equal(t.images, s.images[idx])
    assert t.labels.tolist() == s.labels[idx].tolist() == t.attributes["digit"].tolist()
    assert t.attributes["row"].tolist() == idx
    assert t.provenance["checksum"] == hashlib.sha256(t.images.tobytes()).hexdigest()
    m = s.take(s.labels == 3)
    assert len(m) == 50 and set(m.labels) == {3}
    assert len(s.subset(10 ** 6)) == len(s) and len(s) == 500  # original untouched
    with pytest.raises(IndexError):
        s.take([500])


# ------------------------------------------------------------------------------------- IDX reader
def _idx_bytes(array, type_code):
    header = struct.pack(">BBBB", 0, 0, type_code, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def _write_idx_folder(folder, n_train=12, n_test=5, gz=True, seed=0):
    rng = np.random.RandomState(seed)
    folder.mkdir(parents=True, exist_ok=True)
    arrays = {}
    for split, n in (("train", n_train), ("t10k", n_test)):
        images = rng.randint(0, 256, size=(n, 28, 28)).astype(np.uint8)
        labels = rng.randint(0, 10, size=n).astype(np.uint8)
        arrays[split] = (images, labels)
        for kind, arr, code in (("images-idx3-ubyte", images, 0x08), ("labels-idx1-ubyte", labels, 0x08)):
            raw = _idx_bytes(arr, code)
            name = f"{split}-{kind}"
            if gz:
                (folder / (name + ".gz")).write_bytes(gzip.compress(raw))
            else:
                (folder / name).write_bytes(raw)
    return arrays


@pytest.mark.parametrize("gz", [True, False])
def test_read_idx_gz_and_raw(tmp_path, gz):
    arrays = _write_idx_folder(tmp_path / "idx", gz=gz)
    name = "train-images-idx3-ubyte" + (".gz" if gz else "")
    got = read_idx(str(tmp_path / "idx" / name))
    assert got.dtype == np.uint8 and got.shape == (12, 28, 28)
    np.testing.assert_array_equal(got, arrays["train"][0])
    # other IDX element types round-trip too (big-endian on disk)
    ints = np.arange(-3, 9, dtype=np.int32).reshape(3, 4)
    (tmp_path / "ints.idx").write_bytes(_idx_bytes(ints, 0x0C))
    np.testing.assert_array_equal(read_idx(str(tmp_path / "ints.idx")), ints)


def test_read_idx_rejects_bad_files_naming_them(tmp_path):
    bad = tmp_path / "train-images-idx3-ubyte"
    bad.write_bytes(b"\x12\x34\x08\x03" + b"\0" * 20)
    with pytest.raises(ValueError, match="magic") as e:
        read_idx(str(bad))
    assert str(bad) in str(e.value)
    short = tmp_path / "short.gz"
    short.write_bytes(gzip.compress(_idx_bytes(np.zeros((4, 28, 28), np.uint8), 0x08)[:-10]))
    with pytest.raises(ValueError, match="bytes") as e:
        read_idx(str(short))
    assert str(short) in str(e.value)
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    with pytest.raises(ValueError, match=str(empty)):
        read_idx(str(empty))


@pytest.mark.parametrize("name", ["mnist", "fashion-mnist"])
def test_idx_folder_sources(tmp_path, name):
    arrays = _write_idx_folder(tmp_path / "idx", gz=(name == "mnist"))
    tr = load(name, split="train", path=str(tmp_path / "idx"))
    te = load(name, split="test", path=str(tmp_path / "idx"))
    al = load(name, split="all", path=str(tmp_path / "idx"))
    assert tr.images.shape == (12, 1, 28, 28) and te.images.shape == (5, 1, 28, 28) and len(al) == 17
    assert tr.images.dtype == np.float32 and tr.labels.dtype == np.int64
    np.testing.assert_array_equal(tr.images[:, 0] * 255, arrays["train"][0].astype(np.float32))
    np.testing.assert_array_equal(al.labels, np.concatenate([arrays["train"][1], arrays["t10k"][1]]))
    assert al.provenance["path"] == str(tmp_path / "idx") and al.provenance["source"] == name


def test_idx_path_that_is_not_an_idx_folder_is_named(tmp_path):
    (tmp_path / "half").mkdir()
    with pytest.raises(FileNotFoundError) as e:
        load("mnist", path=str(tmp_path / "half"))
    assert str(tmp_path / "half") in str(e.value) and "train-images-idx3-ubyte" in str(e.value)


# ----------------------------------------------------------------------- offline errors (no network)
@pytest.fixture
def offline(monkeypatch, tmp_path):
    """No MXNet dataset cache and a downloader that fails like it does offline."""
    from mxnet.gluon.data.vision import datasets
    monkeypatch.setenv("MXNET_HOME", str(tmp_path / "mxnet_home"))
    calls = []

    def fail(url, *a, **k):
        calls.append(url)
        raise ConnectionError(f"Max retries exceeded with url: {url}")
    monkeypatch.setattr(datasets, "download", fail)
    monkeypatch.setattr(mnist, "DEBIAN_FASHION_MNIST", str(tmp_path / "no-debian-package"))
    return calls


def test_mnist_offline_error_names_both_ways_and_mnist5k(offline):
    with pytest.raises(data.DataSourceUnavailable) as e:
        load("mnist")
    msg = str(e.value)
    assert offline, "the gluon downloader was not tried"
    assert "path=" in msg and "online" in msg and "mnist-5k" in msg and "ConnectionError" in msg
    assert isinstance(e.value.__cause__, ConnectionError)


def test_fashion_mnist_offline_error_names_apt_and_path(offline):
    with pytest.raises(data.DataSourceUnavailable) as e:
        load("fashion-mnist", split="test")
    msg = str(e.value)
    assert offline and "apt-get install dataset-fashion-mnist" in msg and "path=" in msg


def test_mnist_reads_an_earlier_gluon_download_without_mxnet_download(offline, tmp_path):
    _write_idx_folder(tmp_path / "mxnet_home" / "datasets" / "mnist")
    s = load("mnist", split="test")
    assert len(s) == 5 and s.provenance["found_via"] == "mxnet-cache" and not offline


def test_fashion_mnist_from_the_debian_package():
    if not os.path.isdir(DEBIAN):
        if os.environ.get("VAEGAN_REQUIRE_FASHION_MNIST") == "1":
            pytest.fail(f"{DEBIAN} is missing but VAEGAN_REQUIRE_FASHION_MNIST=1: "
                        "sudo apt-get install dataset-fashion-mnist")
        pytest.skip(f"{DEBIAN} absent (apt-get install dataset-fashion-mnist); "
                    "set VAEGAN_REQUIRE_FASHION_MNIST=1 to make this a failure")
    te = load("fashion-mnist", split="test")
    assert te.images.shape == (10000, 1, 28, 28) and te.images.dtype == np.float32
    assert np.bincount(te.labels).tolist() == [1000] * 10 and te.labels.dtype == np.int64
    assert te.provenance["found_via"] == "debian-package" and te.provenance["path"] == DEBIAN
    assert 0.0 == te.images.min() and te.images.max() == 1.0
    # trousers (1) are tall and thin: more ink in the central columns than at the sides
    trousers = te.images[te.labels == 1, 0]
    assert trousers[:, :, 10:18].mean() > trousers[:, :, :4].mean()
    tr = read_idx(os.path.join(DEBIAN, "train-labels-idx1-ubyte.gz"))
    assert tr.shape == (60000,)


# ------------------------------------------------------------------------------------ image-folder
def _solid(path, rgb, size=(16, 16), **save):
    Image.new("RGB", size, rgb).save(path, **save)


def _load_folder(folder, **kw):
    kw.setdefault("size", 16)
    return load("image-folder", split="all", path=str(folder), **kw)


def test_image_folder_needs_path():
    with pytest.raises(TypeError, match="path"):
        load("image-folder")


def test_transposition_keeps_every_pixel(tmp_path):
    """An asymmetric image comes back equal to its source pixels (reshape would scramble them)."""
    src = np.zeros((8, 8, 3), np.uint8)
    src[:, :4] = (255, 0, 0)       # red left half
    src[:2, :] = (0, 0, 255)       # blue top stripe
    src[7, 7] = (0, 255, 0)        # one green pixel bottom right
    src[5, 1] = (10, 20, 30)
    Image.fromarray(src).save(tmp_path / "asym.png")
    s = _load_folder(tmp_path, size=8)
    assert s.images.shape == (1, 3, 8, 8)
    np.testing.assert_array_equal(s.images[0], src.transpose(2, 0, 1).astype(np.float32) / 255)
    assert s.images[0, 0, 4, 0] == 1.0 and s.images[0, 2, 0, 7] == 1.0 and s.images[0, 1, 7, 7] == 1.0
    assert not np.array_equal(s.images[0], src.reshape(3, 8, 8).astype(np.float32) / 255)


def test_centre_crop_and_resize(tmp_path):
    src = np.zeros((10, 30, 3), np.uint8)   # wide image: left / middle / right thirds
    src[:, :10] = (255, 0, 0)
    src[:, 10:20] = (0, 255, 0)
    src[:, 20:] = (0, 0, 255)
    Image.fromarray(src).save(tmp_path / "wide.png")
    s = _load_folder(tmp_path, size=5)
    assert s.images.shape == (1, 3, 5, 5)
    np.testing.assert_allclose(s.images[0, :, 2, 2], [0, 1, 0])   # only the middle third is kept
    assert s.images[0, 0].max() < 0.05 and s.images[0, 2].max() < 0.05


def test_odd_but_valid_files_are_converted(tmp_path):
    f = tmp_path / "odd"
    f.mkdir()
    Image.new("L", (16, 16), 77).save(f / "a_grey.png")
    rgba = Image.new("RGBA", (16, 16), (200, 40, 40, 255))
    rgba.paste((0, 0, 0, 0), (0, 0, 16, 8))                 # top half fully transparent
    rgba.save(f / "b_rgba.png")
    pal = Image.new("P", (16, 16), 1)
    pal.putpalette([0, 0, 0, 10, 200, 30] + [0] * 762)
    pal.save(f / "c_palette.png")
    Image.new("CMYK", (16, 16), (0, 255, 255, 0)).save(f / "d_cmyk.jpg", quality=95)
    cv2.imwrite(str(f / "e_grey16.png"), np.full((16, 16), 40000, np.uint16))
    cv2.imwrite(str(f / "f_rgb16.png"), np.full((16, 16, 3), (1000, 30000, 65535), np.uint16))  # BGR
    _solid(f / "g.GIF", (200, 30, 60))
    _solid(f / "h.bmp", (1, 2, 3))
    _solid(f / "i.webp", (90, 180, 45), lossless=True)
    _solid(f / "j.JPEG", (120, 120, 240), quality=98)
    la = Image.new("LA", (16, 16), (0, 128))                # half-transparent black on white -> grey
    la.save(f / "k_la.png")
    with warnings.catch_warnings():
        warnings.simplefilter("error")                      # odd files must not warn
        s = _load_folder(f)
    assert s.provenance["skipped"] == 0 and len(s) == 11
    px = {name: s.images[i, :, 12, 8] * 255 for i, name in enumerate("abcdefghijk")}
    top = s.images[1, :, 2, 8] * 255
    np.testing.assert_allclose(px["a"], [77, 77, 77], atol=0.01)
    np.testing.assert_allclose(px["b"], [200, 40, 40], atol=0.01)
    np.testing.assert_allclose(top, [255, 255, 255], atol=0.01)          # transparent -> white
    np.testing.assert_allclose(px["c"], [10, 200, 30], atol=0.01)
    np.testing.assert_allclose(px["d"], [255, 0, 0], atol=12)             # cyan-free magenta+yellow = red
    np.testing.assert_allclose(px["e"], [156, 156, 156], atol=0.01)       # 40000 * 255 / 65535 = 155.6
    np.testing.assert_allclose(px["f"], [255, 117, 4], atol=1.01)         # 16-bit RGB -> high byte
    np.testing.assert_allclose(px["g"], [200, 30, 60], atol=0.01)
    np.testing.assert_allclose(px["h"], [1, 2, 3], atol=0.01)
    np.testing.assert_allclose(px["i"], [90, 180, 45], atol=0.01)
    np.testing.assert_allclose(px["j"], [120, 120, 240], atol=6)
    np.testing.assert_allclose(px["k"], [127, 127, 127], atol=1.01)
    g = _load_folder(f, mode="grey")
    assert g.images.shape == (11, 1, 16, 16)
    np.testing.assert_allclose(g.images[0, 0, 8, 8] * 255, 77, atol=0.01)
    np.testing.assert_allclose(g.images[2, 0, 8, 8] * 255, 0.299 * 10 + 0.587 * 200 + 0.114 * 30, atol=1)


def _bad_files(folder):
    good = np.random.RandomState(0).randint(0, 256, (16, 16, 3)).astype(np.uint8)
    Image.fromarray(good).save(folder / "good1.png")
    Image.fromarray(good).save(folder / "good2.jpg", quality=90)
    (folder / "a_empty.png").write_bytes(b"")
    full = (folder / "good1.png").read_bytes()
    (folder / "b_truncated.png").write_bytes(full[: len(full) // 2])
    jpg = (folder / "good2.jpg").read_bytes()
    (folder / "c_truncated.jpg").write_bytes(jpg[: len(jpg) // 2])
    (folder / "d_text.png").write_text("this is not an image\n")
    (folder / "notes.txt").write_text("ignored: not an image extension")
    return ["a_empty.png", "b_truncated.png", "c_truncated.jpg", "d_text.png"]


def test_broken_files_are_skipped_with_one_warning_each(tmp_path):
    bad = _bad_files(tmp_path)
    with pytest.warns(UserWarning) as rec:
        s = _load_folder(tmp_path)
    msgs = [str(w.message) for w in rec]
    for name in bad:
        assert sum(name in m for m in msgs) == 1, (name, msgs)
    assert any("skipped 4 of 6" in m for m in msgs)
    assert len(s) == 2 and s.provenance["skipped"] == 4 and s.provenance["files_found"] == 6


def test_truncated_files_stay_bad_after_gluoncv_sets_load_truncated(tmp_path, monkeypatch):
    # importing gluoncv flips PIL's process-wide LOAD_TRUNCATED_IMAGES to True (gluoncv/data/mhp.py)
    from PIL import ImageFile
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    _bad_files(tmp_path)
    with pytest.warns(UserWarning):
        s = _load_folder(tmp_path)
    assert len(s) == 2 and s.provenance["skipped"] == 4
    assert ImageFile.LOAD_TRUNCATED_IMAGES is True     # the caller's setting is left as it was


def test_strict_mode_names_the_first_bad_file(tmp_path):
    _bad_files(tmp_path)
    with pytest.raises(data.BadImageError) as e:
        _load_folder(tmp_path, strict=True)
    assert str(tmp_path / "a_empty.png") in str(e.value)


def test_folder_without_usable_images_is_named(tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "readme.txt").write_text("no images")
    with pytest.raises(FileNotFoundError) as e:
        _load_folder(tmp_path / "empty")
    assert str(tmp_path / "empty") in str(e.value)
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "x.png").write_bytes(b"")
    with pytest.warns(UserWarning), pytest.raises(FileNotFoundError) as e:
        _load_folder(tmp_path / "broken")
    assert str(tmp_path / "broken") in str(e.value)


def test_recursive_search_sorted_and_case_insensitive(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "deep").mkdir(parents=True)
    _solid(tmp_path / "b" / "x.PNG", (10, 10, 10))
    _solid(tmp_path / "a" / "deep" / "y.Jpg", (20, 20, 20))
    _solid(tmp_path / "z.bmp", (30, 30, 30))
    assert image_folder.list_images(str(tmp_path)) == ["a/deep/y.Jpg", "b/x.PNG", "z.bmp"]
    assert len(_load_folder(tmp_path)) == 3


def test_split_is_80_20_disjoint_and_seeded(tmp_path):
    for i in range(20):
        _solid(tmp_path / f"{i:02d}.png", (i * 10, 0, 0), size=(4, 4))
    kw = dict(path=str(tmp_path), size=4)
    tr, te, al = (load("image-folder", split=s, **kw) for s in ("train", "test", "all"))
    assert (len(tr), len(te), len(al)) == (16, 4, 20)
    red = lambda s: set(np.round(s.images[:, 0, 0, 0] * 255).astype(int))
    assert not red(tr) & red(te) and red(tr) | red(te) == red(al)
    assert red(load("image-folder", split="test", **kw)) == red(te)  # deterministic
    other = [red(load("image-folder", split="test", seed=k, **kw)) for k in (1, 2, 3)]
    assert any(o != red(te) for o in other)


def test_cache_hit_and_invalidation(tmp_path, monkeypatch):
    folder = tmp_path / "imgs"
    folder.mkdir()
    for i in range(3):
        _solid(folder / f"{i}.png", (i * 50, 100, 100))
    first = _load_folder(folder)
    assert first.provenance["cached"] is False and os.path.exists(first.provenance["cache_file"])

    def no_decode(*a, **k):
        raise AssertionError("decoded although cached")
    monkeypatch.setattr(image_folder, "decode_image", no_decode)
    second = _load_folder(folder)
    assert second.provenance["cached"] is True
    np.testing.assert_array_equal(first.images, second.images)
    monkeypatch.undo()
    monkeypatch.setenv("VAEGAN_CACHE", str(tmp_path / "cache"))
    # a changed file (content and mtime) invalidates the cache
    _solid(folder / "1.png", (7, 7, 7))
    os.utime(folder / "1.png", ns=(1, 1))
    third = _load_folder(folder)
    assert third.provenance["cached"] is False
    np.testing.assert_allclose(third.images[1, :, 0, 0] * 255, [7, 7, 7])
    # other size or mode -> other cache entry
    assert _load_folder(folder, size=8).provenance["cached"] is False
    assert _load_folder(folder).provenance["cached"] is True


def _write_attr_file(path, rows, names):
    lines = [str(len(rows)), " ".join(names)]
    lines += [f"{fn}  " + " ".join(f"{v:2d}" for v in vals) for fn, vals in rows]
    path.write_text("\n".join(lines) + "\n")


def test_attribute_table_is_aligned_by_file_name(tmp_path):
    folder = tmp_path / "celeba"
    (folder / "sub").mkdir(parents=True)
    colours = {"000003.jpg": (250, 0, 0), "000001.jpg": (0, 0, 250), "sub/000002.png": (0, 250, 0)}
    for rel, rgb in colours.items():
        _solid(folder / rel, rgb, quality=98) if rel.endswith("jpg") else _solid(folder / rel, rgb)
    rows = [("000002.png", (-1, 1, -1)), ("000009.jpg", (1, 1, 1)), ("000003.jpg", (1, -1, -1)),
            ("000001.jpg", (-1, -1, 1))]                    # any order, with an extra row
    _write_attr_file(tmp_path / "list_attr_celeba.txt", rows, ["Is_Red", "Is_Green", "Is_Blue"])
    s = _load_folder(folder, attributes=str(tmp_path / "list_attr_celeba.txt"))
    a = s.attributes
    assert list(a.columns) == ["Is_Red", "Is_Green", "Is_Blue"] and len(a) == 3
    assert set(np.unique(a.values)) == {0, 1}
    assert list(a.index) == ["000001.jpg", "000003.jpg", "sub/000002.png"]
    dominant = s.images.mean(axis=(2, 3)).argmax(1)          # 0 red, 1 green, 2 blue
    assert a.values.argmax(1).tolist() == dominant.tolist()
    for split in ("train", "test"):
        part = load("image-folder", split=split, path=str(folder), size=16,
                    attributes=str(tmp_path / "list_attr_celeba.txt"))
        assert part.attributes.values.argmax(1).tolist() == part.images.mean(axis=(2, 3)).argmax(1).tolist()
    sub = s.take([2, 0])
    assert list(sub.attributes.index) == ["sub/000002.png", "000001.jpg"]


def test_attribute_file_missing_rows_and_bad_format(tmp_path):
    folder = tmp_path / "imgs"
    folder.mkdir()
    _solid(folder / "a.png", (1, 1, 1))
    _solid(folder / "b.png", (1, 1, 1))
    _write_attr_file(tmp_path / "attr.txt", [("a.png", (1,))], ["Smiling"])
    with pytest.raises(ValueError, match="b.png"):
        _load_folder(folder, attributes=str(tmp_path / "attr.txt"))
    (tmp_path / "bad.txt").write_text("2\nSmiling\na.png 1\n")
    with pytest.raises(ValueError, match="says 2 rows"):
        _load_folder(folder, attributes=str(tmp_path / "bad.txt"))
