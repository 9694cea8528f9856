"""Show a run or a sweep in a notebook: pictures (large ones embedded as JPEG) and the metrics table;
a figure comparing runs' reconstructions by eye (the VAEs rebuilt from their folders where needed)."""
import os

from .. import inference, viz
from ..utils import read_json
from .notebook_settings import image_shape_of
from .runner import RunResult, build_models, load_data, load_run
from .tables import metrics_table, run_dir_of

RUN_PICTURES = ("reconstructions.png", "samples.png", "loss_curves.png", "interpolation.png")


# Notebooks are committed with their outputs: a noisy 64x64-face grid is 200-350 kB as PNG and a
# third of that as a quality-90 JPEG, so large pictures are embedded as JPEG (the files stay PNG).
NOTEBOOK_PNG_MAX_BYTES = 120_000


def compact_picture(png_bytes, max_png_bytes=NOTEBOOK_PNG_MAX_BYTES, quality=90):
    """``(format, bytes)`` to embed a picture in a notebook: the PNG itself when it is small, else a
    JPEG of it (transparency flattened onto white)."""
    if len(png_bytes) <= max_png_bytes:
        return "png", png_bytes
    import io
    from PIL import Image
    im = Image.open(io.BytesIO(png_bytes))
    if im.mode in ("RGBA", "LA", "P"):
        im = im.convert("RGBA")
        flat = Image.new("RGB", im.size, (255, 255, 255))
        flat.paste(im, mask=im.getchannel("A"))
        im = flat
    buf = io.BytesIO()
    im.convert("RGB").save(buf, "JPEG", quality=quality, optimize=True)
    return "jpeg", buf.getvalue()


def _show_picture(path):
    from IPython.display import Image, display
    with open(path, "rb") as f:
        fmt, data = compact_picture(f.read())
    display(Image(data=data, format=fmt))


def show_run(result, pictures=RUN_PICTURES, metrics=True):
    """Display a run's pictures and its metrics table in a notebook; returns the table (DataFrame).

    ``result``: a :class:`RunResult` or a results folder. Shown in ``notebooks/*.ipynb``.
    """
    from IPython.display import Markdown, display
    run_dir = run_dir_of(result)
    display(Markdown(f"**Results folder** `{run_dir}` (its README.md is the full report)"))
    for name in pictures:
        path = os.path.join(run_dir, "images", name)
        if os.path.exists(path):
            _show_picture(path)
    if not metrics:
        return None
    table = metrics_table({os.path.basename(os.path.normpath(run_dir)): result}).T
    display(table)
    return table


def show_sweep(summary, plot_path=None, picture="reconstructions.png", columns=None):
    """Display a sweep: the overlay plot, the summary table, and each run's ``picture`` under its label."""
    from IPython.display import Markdown, display
    if plot_path and os.path.exists(plot_path):
        _show_picture(plot_path)
    show = summary if columns is None else summary[[c for c in columns if c in summary.columns]]
    display(show.drop(columns=[c for c in ("run_dir",) if c in show.columns]))
    for _, row in summary.iterrows():
        path = os.path.join(row["run_dir"], "images", picture)
        if os.path.exists(path):
            display(Markdown(f"**{row['label']}**"))
            _show_picture(path)


def load_vae(run_dir, ctx=None):
    """The trained VAE of a finished results folder (its ``config.json`` and final ``vae.params``)."""
    import mxnet as mx
    cfg = read_json(os.path.join(run_dir, "config.json"))
    vae, _ = build_models(cfg, image_shape_of(cfg))
    vae.load_parameters(os.path.join(run_dir, "vae.params"), ctx=ctx or mx.cpu())
    return vae


def comparison_figure(results, metric="fid_recon", n=8, path=None, title=None):
    """One figure to compare runs by eye: the first ``n`` held-out images of the first run's data, then
    one row of reconstructions of the same images per run, its ``metric`` in the row's title. Shown
    as PNG (texture is judged here); ``path`` saves it too. ``results``: ``{label: RunResult or
    results folder}``. Returns the Figure."""
    import matplotlib.pyplot as plt
    import numpy as np
    if not isinstance(results, dict):
        results = {os.path.basename(os.path.normpath(run_dir_of(r))): r for r in results}
    labels = list(results)
    first = run_dir_of(results[labels[0]])
    _, val = load_data(read_json(os.path.join(first, "config.json")))
    x = val.images[:n]
    rows, titles = [x], [f"held-out originals ({len(x)} of {len(val)})"]
    for label in labels:
        r = results[label]
        trainer = getattr(r, "trainer", None) if isinstance(r, RunResult) else None
        vae = trainer.vae if trainer is not None else load_vae(run_dir_of(r))
        m = r.metrics if isinstance(r, RunResult) else load_run(r).metrics
        value = m.get(metric)
        rows.append(inference.reconstruct(vae, x))
        titles.append(f"{label}: {metric} {value:.4g}" if isinstance(value, (int, float)) else f"{label}: {metric} n/a")
    grey = x.shape[1] == 1
    fig, axes = plt.subplots(len(rows), 1, figsize=(max(6.0, 0.9 * n), 1.05 * len(rows) + 0.3), squeeze=False)
    for ax, row, t in zip(axes[:, 0], rows, titles):
        ax.imshow(viz.image_grid(np.asarray(row), nrow=n), cmap="gray" if grey else None)
        ax.set_axis_off()
        ax.set_title(t, fontsize=8, loc="left")
    if title:
        fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    if path:
        fig.savefig(path, format="png", dpi=100)
    return fig
