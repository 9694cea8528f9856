"""Show a run or a sweep in a notebook: pictures (large ones embedded as JPEG) and the metrics table."""
import os

from .tables import _run_dir, metrics_table

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
    run_dir = _run_dir(result)
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
