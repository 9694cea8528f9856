"""Behaviour of vaegan_gluon.viz: grid geometry, files written and re-read, latent-space figures (arrays in)."""
import numpy as np
import pandas as pd
import pytest

import vaegan_gluon  # noqa: F401
from PIL import Image

from vaegan_gluon import viz


def _distinct(n, c=1, h=3, w=4):
    """Image k is constant (k + 1) / (n + 1), so each grid cell can be identified by its value."""
    vals = (np.arange(n, dtype=np.float32) + 1) / (n + 1)
    return np.broadcast_to(vals[:, None, None, None], (n, c, h, w)).copy()


# ------------------------------------------------------------------------------------------- grids
def test_grid_shape_and_placement_grey():
    imgs = _distinct(5, 1, 3, 4)  # H=3 != W=4 and 5 images in rows of 3: asymmetric on purpose
    grid = viz.image_grid(imgs, nrow=3, padding=1, pad_value=0.0)
    assert grid.dtype == np.uint8 and grid.ndim == 2
    assert grid.shape == (2 * (3 + 1) + 1, 3 * (4 + 1) + 1)
    expect = np.rint(imgs[:, 0, 0, 0].astype(np.float64) * 255).astype(np.uint8)
    for k in range(5):
        r, c = divmod(k, 3)
        cell = grid[1 + r * 4:1 + r * 4 + 3, 1 + c * 5:1 + c * 5 + 4]
        assert (cell == expect[k]).all(), k
    assert (grid[5:8, 11:15] == 0).all()  # the empty sixth cell is padding colour
    assert (grid[0] == 0).all() and (grid[:, 0] == 0).all()


def test_grid_rgb_keeps_channels_in_place():
    imgs = np.zeros((2, 3, 2, 2), np.float32)
    imgs[0, 0] = 1.0  # red
    imgs[1, 2] = 1.0  # blue
    grid = viz.image_grid(imgs, nrow=2, padding=0)
    assert grid.shape == (2, 4, 3)
    assert (grid[:, :2] == [255, 0, 0]).all() and (grid[:, 2:] == [0, 0, 255]).all()


def test_grid_rejects_bad_channels():
    with pytest.raises(ValueError, match="C = 1 or 3"):
        viz.image_grid(np.zeros((2, 2, 4, 4)), nrow=2)


def test_save_grid_writes_pixel_exact_png(tmp_path):
    imgs = _distinct(4, 3, 5, 6)
    path = tmp_path / "sub" / "grid.png"
    grid = viz.save_grid(imgs, str(path), nrow=2)
    back = np.asarray(Image.open(path))
    assert back.shape == grid.shape == (2 * 7 + 2, 2 * 8 + 2, 3)
    np.testing.assert_array_equal(back, grid)


def _png_size(path):
    with Image.open(path) as im:
        assert im.format == "PNG"
        return im.size


def test_show_grid_saves_png(tmp_path):
    path = tmp_path / "g.png"
    fig = viz.show_grid(_distinct(6, 1, 28, 28), nrow=3, title="t", path=str(path))
    w, h = _png_size(path)
    assert (w, h) == tuple(int(round(v)) for v in fig.get_size_inches() * fig.dpi)


def test_originals_vs_reconstructions_png(tmp_path):
    x = _distinct(12, 1, 28, 28)
    path = tmp_path / "ovr.png"
    fig = viz.originals_vs_reconstructions(x, 1 - x, path=str(path), title="epoch 3")
    w, h = _png_size(path)
    assert (w, h) == tuple(int(round(v)) for v in fig.get_size_inches() * 100)
    assert w > 2 * h  # ten images wide, two tall
    with pytest.raises(ValueError, match="same shape"):
        viz.originals_vs_reconstructions(x, x[:, :, :10])


# ----------------------------------------------------------------------------------------- curves
def _stats(n_solo=3, n_combo=4, shift=0.0):
    n = n_solo + n_combo
    df = pd.DataFrame({
        "epoch": np.arange(1, n + 1),
        "phase": ["solo"] * n_solo + ["combo"] * n_combo,
        "vae_loss": np.linspace(200, 120, n) + shift,
        "pbp_loss": np.linspace(190, 110, n) + shift,
        "kl": np.linspace(5, 10, n),
        "adv_loss": [np.nan] * n_solo + list(np.linspace(3, 1, n_combo)),
        "disc_loss": [np.nan] * n_solo + list(np.linspace(1, 0.5, n_combo)),
        "disc_acc_real": [np.nan] * n_solo + [0.6, 0.7, 0.8, 0.9][:n_combo],
        "disc_acc_fake": [np.nan] * n_solo + [0.5, 0.6, 0.9, 0.95][:n_combo],
    })
    return df


def test_loss_curves_from_csv_shades_combo_epochs(tmp_path):
    csv = tmp_path / "training_statistics.csv"
    _stats().to_csv(csv, index=False)
    path = tmp_path / "curves.png"
    fig = viz.loss_curves(str(csv), path=str(path))
    _png_size(path)
    axes = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in axes] == ["vae_loss", "pbp_loss", "kl", "adv_loss", "disc_loss",
                                               "disc accuracy"]
    # the combo span covers epochs 4..7 (+-0.5) in every panel
    for ax in axes:
        spans = [p for p in ax.patches]
        assert len(spans) == 1
        x0, width = spans[0].get_x(), spans[0].get_width()
        assert (x0, x0 + width) == pytest.approx((3.5, 7.5))


def test_loss_curves_solo_only_run_has_no_disc_panel():
    fig = viz.loss_curves(_stats(n_solo=5, n_combo=0))
    titles = [ax.get_title() for ax in fig.axes if ax.get_visible()]
    assert titles == ["vae_loss", "pbp_loss", "kl"]


def test_loss_curves_unknown_column_says_what_exists():
    with pytest.raises(KeyError, match="available"):
        viz.loss_curves(_stats(), columns=["nope"])


def test_overlay_curves_one_line_per_run(tmp_path):
    runs = {"disc_weight=1": _stats(), "disc_weight=10": _stats(shift=5.0), "disc_weight=50": _stats(shift=9.0)}
    path = tmp_path / "sweep.png"
    fig = viz.overlay_curves(runs, "pbp_loss", path=str(path))
    _png_size(path)
    lines = fig.axes[0].get_lines()
    assert [ln.get_label() for ln in lines] == list(runs)
    np.testing.assert_allclose(lines[1].get_ydata(), runs["disc_weight=10"]["pbp_loss"])
    with pytest.raises(KeyError, match="no column"):
        viz.overlay_curves(runs, "missing")


# --------------------------------------------------------------------------------- latent space
def test_interpolation_draws_one_row(tmp_path):
    imgs = _distinct(5, 1, 4, 4)
    path = tmp_path / "interp.png"
    fig = viz.interpolation(imgs, path=str(path), title="a to b")
    _png_size(path)
    assert [t.get_text() for t in fig.texts] == ["a to b"]


def test_attribute_rows_draws_base_above_each_scale(tmp_path):
    base, decoded = _distinct(2, 1, 2, 2), np.stack([_distinct(2, 1, 2, 2)] * 3)
    path = tmp_path / "arith.png"
    viz.attribute_rows(base, decoded, (0, 0.5, 1), path=str(path))
    _png_size(path)
    with pytest.raises(ValueError, match="rows for 2 scales"):
        viz.attribute_rows(base, decoded, (0, 1))


def test_viz_takes_no_model():
    """Drawing only: viz imports neither mxnet nor the model-running module (arrays in, figures out)."""
    import ast
    import inspect
    tree = ast.parse(inspect.getsource(viz))
    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert not any(m.split(".")[0] in ("mxnet", "inference") or ".inference" in m or "models" in m
                   for m in imported), imported


# -------------------------------------------------------------------------------------------- GIF
def test_evolution_gif_frame_count(tmp_path):
    frames = [viz.image_grid(_distinct(4, 3, 6, 6) * (0.4 + 0.15 * i), nrow=2) for i in range(4)]
    frames.append(viz.image_grid(_distinct(4, 1, 6, 6), nrow=2))  # grey frames work too
    frames[-1] = np.stack([frames[-1]] * 3, axis=-1)
    path = tmp_path / "evolution.gif"
    assert viz.evolution_gif(frames, str(path), duration_ms=150) == str(path)
    with Image.open(path) as im:
        assert im.format == "GIF" and im.n_frames == 5
        assert im.size == (frames[0].shape[1], frames[0].shape[0])
        assert im.info["duration"] == 150


def test_evolution_gif_rejects_mixed_sizes(tmp_path):
    with pytest.raises(ValueError, match="same shape"):
        viz.evolution_gif([np.zeros((4, 4), np.uint8), np.zeros((5, 4), np.uint8)], str(tmp_path / "x.gif"))
