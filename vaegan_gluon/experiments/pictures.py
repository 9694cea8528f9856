"""A finished run's pictures in ``<run_dir>/images/``: the trained VAE runs through :mod:`vaegan_gluon.inference`,
:mod:`vaegan_gluon.viz` draws the arrays. The report (:mod:`vaegan_gluon.report`) shows whichever exist."""
import os

import numpy as np
import pandas as pd

from .. import inference, viz

N_SHOW = 10  # the study showed the first 10 validation images
SMILE_SCALES = (0, 0.5, 1, 1.5)


def draw_run_pictures(run_dir, vae, val, history=(), frames=None, seed=0, ctx=None, n_samples=64):
    """reconstructions, samples, loss curves, interpolation, evolution GIF and (faces with a ``smiling``
    attribute) the smiling vector, for the held-out ``val`` (an ImageSet or ``(N, C, H, W)`` array).

    Returns notes for ``metrics.json``: ``{"attribute_arithmetic": "skipped: ..."}`` when a group of the
    smiling vector is empty in a small held-out set, else ``{}``."""
    os.makedirs(os.path.join(run_dir, "images"), exist_ok=True)
    images = np.asarray(getattr(val, "images", val), dtype=np.float32)
    img = lambda name: os.path.join(run_dir, "images", name)  # noqa: E731
    show = images[:N_SHOW]
    viz.originals_vs_reconstructions(show, inference.reconstruct(vae, show, ctx=ctx), path=img("reconstructions.png"),
                                     title="validation images (top) and reconstructions (bottom)")
    rng = np.random.RandomState(seed + 2)
    z = rng.standard_normal((min(n_samples, 40), vae.n_latent)).astype(np.float32)
    viz.save_grid(inference.decode_images(vae, z, ctx=ctx), img("samples.png"), nrow=10)
    if any(not r.get("event") for r in history):
        viz.loss_curves(pd.DataFrame(list(history)), path=img("loss_curves.png"))
    if len(images) >= 2:
        viz.interpolation(inference.interpolate(vae, images[0], images[1], steps=10, ctx=ctx),
                          path=img("interpolation.png"))
    if frames:
        viz.evolution_gif(frames, img("evolution.gif"))
    notes = {}
    attrs = getattr(val, "attributes", None)
    if attrs is not None and "smiling" in attrs.columns and len(images) >= 20:
        try:
            decoded, base, _ = inference.attribute_arithmetic(vae, images, attrs, plus={"smiling": True},
                                                              minus={"smiling": False}, base={"smiling": False},
                                                              scales=SMILE_SCALES, n_base=8, ctx=ctx)
        except ValueError as err:  # a group is empty in a tiny validation set: say so in the report
            notes["attribute_arithmetic"] = f"skipped: {err}"
        else:
            viz.attribute_rows(base, decoded, SMILE_SCALES, path=img("smiling_vector.png"),
                               title="neutral faces + s * (mean smiling - mean neutral latent)")
    return notes
