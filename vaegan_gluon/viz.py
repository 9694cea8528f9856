"""Pictures of runs: image grids, originals vs reconstructions, loss curves, sweeps overlaid,
latent interpolation, attribute (vector) arithmetic and training-evolution GIFs.

Images are ``(N, C, H, W)`` float32 in [0, 1] (C = 1 or 3, RGB) unless said otherwise. Every plotting
function returns its matplotlib ``Figure``; given ``path`` it also writes a PNG there (dpi 100) and
closes the figure (the returned object can still be saved again). Without a display (and outside
Jupyter) the Agg backend is selected, so this works on headless machines and in CI.
"""
import os
import sys

import numpy as np
import matplotlib

if (not os.environ.get("DISPLAY") and not os.environ.get("MPLBACKEND") and os.name != "nt"
        and "ipykernel" not in sys.modules):
    matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after the backend choice)
from matplotlib.ticker import MaxNLocator  # noqa: E402

from .utils import writing  # noqa: E402

__all__ = [
    "image_grid", "show_grid", "save_grid", "originals_vs_reconstructions", "loss_curves",
    "overlay_curves", "interpolation", "attribute_rows", "evolution_gif",
]

DPI = 100
LOSS_COLUMNS = ("vae_loss", "pbp_loss", "kl", "adv_loss", "disc_loss")
RATIO_COLUMNS = ("grad_ratio", "adv_weight")   # the adaptive-weight diagnostic (vaegan_gluon.train.adaptive)
ACC_COLUMNS = ("disc_acc_real", "disc_acc_fake")


# ------------------------------------------------------------------------------------------ grids
def _to_uint8(images):
    images = np.asarray(images.asnumpy() if hasattr(images, "asnumpy") else images)
    if images.dtype == np.uint8:
        return images
    return np.clip(np.rint(images.astype(np.float64) * 255.0), 0, 255).astype(np.uint8)


def image_grid(images, nrow=10, padding=2, pad_value=1.0):
    """Tile images into one picture (pure numpy).

    Parameters
    ----------
    images : (N, C, H, W) float in [0, 1] or uint8; also (N, H, W) grey
    nrow : int
        Images per row (torchvision's convention); rows = ceil(N / nrow).
    padding : int
        Pixels between images and around the border.
    pad_value : float in [0, 1]
        Colour of the padding and of empty cells (1.0 = white).

    Returns
    -------
    uint8 array ``(rows*(H+p)+p, cols*(W+p)+p, C)``, or 2-D ``(H', W')`` when C = 1.
    Image ``k`` sits at row ``k // nrow``, column ``k % nrow``.
    """
    images = _to_uint8(images)
    if images.ndim == 3:
        images = images[:, None]
    if images.ndim != 4 or images.shape[1] not in (1, 3) or len(images) == 0:
        raise ValueError(f"images must be non-empty (N, C, H, W) with C = 1 or 3, or (N, H, W); "
                         f"got shape {images.shape}")
    if nrow < 1:
        raise ValueError(f"nrow must be >= 1, got {nrow}")
    n, c, h, w = images.shape
    cols = min(nrow, n)
    rows = -(-n // nrow)
    fill = int(np.clip(round(pad_value * 255), 0, 255))
    grid = np.full((rows * (h + padding) + padding, cols * (w + padding) + padding, c), fill, np.uint8)
    for k in range(n):
        top = padding + (k // nrow) * (h + padding)
        left = padding + (k % nrow) * (w + padding)
        grid[top:top + h, left:left + w] = images[k].transpose(1, 2, 0)
    return grid[:, :, 0] if c == 1 else grid


def _save(fig, path):
    if path is not None:
        folder = os.path.dirname(os.path.abspath(path))
        os.makedirs(folder, exist_ok=True)
        with writing(path):
            fig.savefig(path, dpi=DPI, format="png")
        plt.close(fig)
    return fig


def _imshow(ax, grid):
    ax.imshow(grid, cmap="gray" if grid.ndim == 2 else None, vmin=0, vmax=255, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])


def _grid_figure(grid, title=None, scale=2.0):
    """A figure showing ``grid`` with ``scale`` screen pixels per image pixel (plus a title strip)."""
    h, w = grid.shape[:2]
    width, height = max(w * scale / DPI, 1.0), max(h * scale / DPI, 0.5)
    strip = 0.3 if title else 0.0
    fig = plt.figure(figsize=(width, height + strip), dpi=DPI)
    ax = fig.add_axes([0, 0, 1, height / (height + strip)])
    _imshow(ax, grid)
    if title:
        fig.text(0.5, 1 - 0.5 * strip / (height + strip), title, ha="center", va="center", fontsize=9)
    return fig


def show_grid(images, nrow=10, title=None, path=None, padding=2, pad_value=1.0):
    """Figure of :func:`image_grid`; saved to ``path`` (PNG) if given. Returns the Figure."""
    return _save(_grid_figure(image_grid(images, nrow, padding, pad_value), title), path)


def save_grid(images, path, nrow=10, padding=2, pad_value=1.0, scale=1):
    """Write the grid pixel-exactly as a PNG (Pillow, no matplotlib); ``scale`` > 1 enlarges by nearest
    neighbour. Returns the uint8 grid array that was written (before scaling)."""
    from PIL import Image
    grid = image_grid(images, nrow, padding, pad_value)
    img = Image.fromarray(grid)
    if scale != 1:
        img = img.resize((img.width * int(scale), img.height * int(scale)), Image.NEAREST)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with writing(path):
        img.save(path, format="PNG")
    return grid


def originals_vs_reconstructions(originals, reconstructions, path=None, title=None, n=10):
    """Two rows: the first ``n`` originals above their reconstructions (the study showed the first ten
    validation images). Returns the Figure."""
    originals, reconstructions = np.asarray(originals)[:n], np.asarray(reconstructions)[:n]
    if originals.shape != reconstructions.shape:
        raise ValueError(f"originals {originals.shape} and reconstructions {reconstructions.shape} "
                         "must have the same shape (after taking the first n)")
    grid = image_grid(np.concatenate([originals, reconstructions]), nrow=len(originals))
    h = originals.shape[-2]
    return _labelled_grid(grid, [2 + h / 2, 4 + 1.5 * h], ["original", "reconstr."], path, title,
                          rect=(0.12, 0.86, 0.8))


def _labelled_grid(grid, ticks, labels, path, title, rect, extra_width=0.0):
    """A figure of an image grid with ``labels`` at the rows' heights ``ticks``; ``rect``: the axes'
    (left, width, height with a title)."""
    left, width, height = rect
    fig = plt.figure(figsize=(max(grid.shape[1] * 2 / DPI, 3) + extra_width, grid.shape[0] * 2 / DPI + 0.4),
                     dpi=DPI)
    ax = fig.add_axes([left, 0.02, width, height if title else 0.96])
    _imshow(ax, grid)
    ax.set_yticks(ticks)
    ax.set_yticklabels(labels, fontsize=8)
    ax.tick_params(length=0)
    if title:
        ax.set_title(title, fontsize=9)
    return _save(fig, path)


# ----------------------------------------------------------------------------------------- curves
def _read_stats(stats):
    import pandas as pd
    if isinstance(stats, (str, os.PathLike)):
        if not os.path.exists(stats):
            raise FileNotFoundError(f"statistics file {stats!r} does not exist; pass a results folder's "
                                    "training_statistics.csv or a DataFrame")
        stats = pd.read_csv(stats)
    if not isinstance(stats, pd.DataFrame):
        raise TypeError(f"stats must be a pandas DataFrame or a CSV path, got {type(stats).__name__}")
    if len(stats) == 0:
        raise ValueError("stats has no rows: nothing to plot")
    return stats


def _epochs(df):
    return df["epoch"].to_numpy() if "epoch" in df else np.arange(1, len(df) + 1)


def _shade_phase(ax, df, phase):
    """Shade contiguous runs of epochs whose ``phase`` column equals ``phase``; True if any."""
    if "phase" not in df:
        return False
    x = _epochs(df)
    on = (df["phase"].astype(str) == phase).to_numpy()
    shaded = False
    i = 0
    while i < len(on):
        if on[i]:
            j = i
            while j + 1 < len(on) and on[j + 1]:
                j += 1
            ax.axvspan(x[i] - 0.5, x[j] + 0.5, color="tab:orange", alpha=0.12, lw=0,
                       label=f"{phase} epochs" if not shaded else None)
            shaded = True
            i = j + 1
        else:
            i += 1
    return shaded


def loss_curves(stats, path=None, columns=None, shade_phase="combo", title=None):
    """Per-epoch training statistics: one panel per loss column, one for discriminator accuracy.

    Parameters
    ----------
    stats : DataFrame or path of ``training_statistics.csv`` (one row an epoch; ``epoch`` and
        ``phase`` columns are used when present; NaN cells, e.g. disc columns in solo epochs, are gaps)
    columns : loss columns to draw; default those of ``vae_loss, pbp_loss, kl, adv_loss, disc_loss``
        present with at least one number. ``disc_acc_real`` / ``disc_acc_fake`` share the last panel.
    shade_phase : epochs whose ``phase`` equals this are shaded (default the combo epochs; solo
        epochs stay white). None turns shading off.

    Returns
    -------
    Figure
    """
    df = _read_stats(stats)
    if columns is None:
        columns = [c for c in LOSS_COLUMNS if c in df and df[c].notna().any()]
    missing = [c for c in columns if c not in df]
    if missing:
        raise KeyError(f"columns {missing} not in the statistics; available: {list(df.columns)}")
    accs = [c for c in ACC_COLUMNS if c in df and df[c].notna().any()]
    # the adversarial weight's diagnostic (train/adaptive.py): |grad PBP| / |grad adv| at the decoder's last
    # layer and, in adaptive mode, the weight in force -- one panel, log scale
    ratios = [c for c in RATIO_COLUMNS if c in df and df[c].notna().any()]
    n_panels = len(columns) + (1 if accs else 0) + (1 if ratios else 0)
    if n_panels == 0:
        raise ValueError(f"no loss or accuracy columns to plot; available: {list(df.columns)}")
    ncols = min(3, n_panels)
    nrows = -(-n_panels // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.3 * ncols, 2.5 * nrows), dpi=DPI, squeeze=False)
    x = _epochs(df)
    panels = ([(c, [c]) for c in columns] + ([("disc accuracy", accs)] if accs else [])
              + ([("grad ratio at W_L", ratios)] if ratios else []))
    for ax, (name, cols) in zip(axes.flat, panels):
        for c in cols:
            ax.plot(x, df[c].to_numpy(dtype=float), marker="." if len(df) < 60 else None, ms=3,
                    lw=1.2, label=c)
        if shade_phase:
            _shade_phase(ax, df, shade_phase)
        ax.set_title(name, fontsize=9)
        ax.set_xlabel("epoch", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.set_xlim(np.nanmin(x) - 0.5, np.nanmax(x) + 0.5)  # same epochs on every panel
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        if name == "disc accuracy":
            ax.set_ylim(-0.05, 1.05)
        if name == "grad ratio at W_L" and np.nanmin(df[cols].to_numpy(dtype=float)) > 0:
            ax.set_yscale("log")
        if len(cols) > 1 or ax is axes.flat[0]:
            ax.legend(fontsize=7)
    for ax in list(axes.flat)[n_panels:]:
        ax.set_visible(False)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return _save(fig, path)


def overlay_curves(runs, column, path=None, title=None, x="epoch", ax=None):
    """One curve per run of ``column`` -- for sweeps over one hyperparameter.

    Parameters
    ----------
    runs : dict ``{label: DataFrame or CSV path}`` (e.g. ``{"disc_weight=10": ..., ...}``)
    column : the statistic to compare, e.g. ``"pbp_loss"``
    x : the x column (default ``"epoch"``; the row number + 1 if absent)
    ax : draw into this Axes instead of a new figure

    Returns
    -------
    Figure
    """
    if not runs:
        raise ValueError("runs is empty: pass {label: DataFrame or CSV path}")
    if ax is None:
        fig, ax = plt.subplots(figsize=(5, 3.2), dpi=DPI)
    else:
        fig = ax.figure
    for label, stats in runs.items():
        df = _read_stats(stats)
        if column not in df:
            raise KeyError(f"run {label!r} has no column {column!r}; available: {list(df.columns)}")
        xs = df[x].to_numpy() if x in df else np.arange(1, len(df) + 1)
        ax.plot(xs, df[column].to_numpy(dtype=float), lw=1.2, label=str(label))
    ax.set_xlabel(x, fontsize=8)
    ax.set_ylabel(column, fontsize=8)
    ax.tick_params(labelsize=7)
    ax.legend(fontsize=7)
    ax.set_title(title or column, fontsize=9)
    fig.tight_layout()
    return _save(fig, path)


# --------------------------------------------------------------------------------- latent space
def _rows_figure(rows, row_labels, path, title=None):
    """Stack rows of images (each (n, C, H, W), same n) into one labelled grid figure."""
    n = len(rows[0])
    grid = image_grid(np.concatenate(rows), nrow=n)
    h = rows[0].shape[-2]
    return _labelled_grid(grid, [2 + i * (h + 2) + h / 2 for i in range(len(rows))], row_labels, path, title,
                          rect=(0.15, 0.83, 0.85), extra_width=0.8)


def interpolation(images, path=None, title=None):
    """One row of ``(steps, C, H, W)`` images in [0, 1], e.g. :func:`vaegan_gluon.inference.interpolate`'s
    decoded line between two latent means (its ends are the two reconstructions). Returns the Figure."""
    images = np.asarray(images, dtype=np.float32)
    return _save(_grid_figure(image_grid(images, nrow=len(images)), title), path)


def attribute_rows(base_images, decoded, scales, path=None, title=None):
    """Base images ``(N, C, H, W)`` above one row per scale of ``decoded`` ``(len(scales), N, C, H, W)``
    (:func:`vaegan_gluon.inference.apply_attribute` / ``attribute_arithmetic``: ``mu(base) + s * vector``
    decoded; scale 0 is the plain reconstruction). Returns the Figure."""
    base_images = np.asarray(base_images, dtype=np.float32)
    decoded = np.asarray(decoded, dtype=np.float32)
    if len(decoded) != len(scales):
        raise ValueError(f"decoded has {len(decoded)} rows for {len(scales)} scales")
    return _rows_figure([base_images] + list(decoded), ["base"] + [f"{s:+g} x vec" for s in scales], path, title)


# -------------------------------------------------------------------------------------------- GIF
def evolution_gif(frames, path, duration_ms=200, loop=0):
    """Write frames (e.g. one :func:`image_grid` per epoch) as an animated GIF with Pillow.

    Parameters
    ----------
    frames : list of ``(H, W)`` or ``(H, W, 3)`` uint8 arrays (floats in [0, 1] are converted), all the
        same size. Note Pillow merges consecutive identical frames (adding their durations).
    duration_ms : display time per frame; ``loop=0`` repeats forever.

    Returns
    -------
    path
    """
    from PIL import Image
    if len(frames) == 0:
        raise ValueError("frames is empty: pass at least one image")
    arrays = [_to_uint8(f) for f in frames]
    shapes = {a.shape for a in arrays}
    if len(shapes) != 1:
        raise ValueError(f"all frames must have the same shape; got {sorted(shapes)}")
    pics = [Image.fromarray(a) for a in arrays]
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with writing(path):
        pics[0].save(path, format="GIF", save_all=True, append_images=pics[1:], duration=int(duration_ms),
                     loop=int(loop))
    return path
