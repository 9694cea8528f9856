"""A run's README.md report, rendered from the files of its results folder (nothing is computed here).

Layout (see DESIGN.md)::

    <run>/config.json                 everything needed to rerun (models, data, training settings)
    <run>/training_statistics.csv     one row an epoch
    <run>/metrics.json                held-out numbers (see vaegan_gluon.evaluation.metrics for units)
    <run>/images/*.png, evolution.gif originals above reconstructions, samples, curves, interpolation
    <run>/vae.params, disc.params     final parameters
    <run>/checkpoints/                resumable state (latest complete epoch)
    <run>/README.md                   the report
"""
import os

import numpy as np
import pandas as pd

from .utils import atomic_write_bytes, read_json


def _fmt(v):
    if isinstance(v, float):
        return f"{v:.4g}"
    return "" if v is None else str(v)


def write(run_dir):
    """(Re-)render ``<run_dir>/README.md`` from the files in the folder; returns its path."""
    cfg = read_json(os.path.join(run_dir, "config.json"))
    m_path = os.path.join(run_dir, "metrics.json")
    m = read_json(m_path) if os.path.exists(m_path) else {}
    csv_path = os.path.join(run_dir, "training_statistics.csv")
    stats = pd.read_csv(csv_path) if os.path.exists(csv_path) else None
    name = cfg.get("name", os.path.basename(os.path.normpath(run_dir)))
    lines = [f"# {name}", ""]
    if cfg.get("description"):
        lines += [cfg["description"], ""]
    data = cfg.get("data", {})
    for w in m.get("warnings") or []:
        lines += [f"> **Warning:** {w}", ""]
    lines += [f"- data: `{data.get('source', '?')}`" + (f" ({data['note']})" if data.get("note") else ""),
              f"- VAE: `{cfg.get('vae')}`", f"- discriminator: `{cfg.get('disc')}`",
              f"- scale: `{cfg.get('scale', '?')}`", ""]
    if cfg.get("command"):
        lines += ["Reproduce:", "", "```", cfg["command"], "```", ""]
    pics = [("reconstructions.png", "First validation images (top) and their reconstructions (bottom)"),
            ("samples.png", "Samples from the prior"), ("loss_curves.png", "Training statistics"),
            ("interpolation.png", "Latent interpolation between two validation images"),
            ("evolution.gif", "Reconstructions of the fixed validation images, epoch by epoch"),
            ("smiling_vector.png", "Attribute vector arithmetic")]
    for fname, caption in pics:
        if os.path.exists(os.path.join(run_dir, "images", fname)):
            lines += [f"**{caption}**", "", f"![{caption}](images/{fname})", ""]
    if m:
        lines += ["## Metrics (held-out images)", "", "| metric | value |", "|---|---|"]
        for k, v in m.items():
            if k == "parameters":
                for net, counts in v.items():
                    lines.append(f"| parameters {net} (trainable / non-trainable) | "
                                 f"{counts['trainable']:,} / {counts['non_trainable']:,} |")
            elif not isinstance(v, (dict, list)):
                lines.append(f"| {k} | {_fmt(v)} |")
        lines += ["", "Units: see `vaegan_gluon.evaluation.metrics` (recon_bce and neg_elbo in nats per image).", ""]
        if m.get("extractor"):
            lines += [f"Feature-space scores (fid_*, kid_*, precision, recall, mode coverage, attributes) use "
                      f"the `{m['extractor']}` extractor (sha256 {str(m.get('extractor_sha256'))[:12]}...; "
                      "`vaegan_gluon.evaluation`). They are for monitoring purposes: compare them only "
                      "between runs scored with the same extractor, never with FIDs in papers."
                      + (f" Note: {m['extractor_note']}." if m.get("extractor_note") else ""), ""]
            cov = m.get("mode_coverage")
            if isinstance(cov, dict):
                lines += [f"Mode coverage of prior samples: {cov['n_covered']} of {cov['n_classes']} classes hold "
                          f"at least half their share; KL to uniform {cov['kl_to_uniform']:.3f}; shares "
                          f"{cov['shares']}.", ""]
            for key in ("attr_acc_recon", "arith_success_per_attr"):
                if isinstance(m.get(key), dict) and m[key]:
                    lines += [f"{key}: " + ", ".join(f"{k} {v:.3f}" for k, v in m[key].items()) + ".", ""]
            s = m.get("at_switch")
            if isinstance(s, dict) and s.get("fid_recon") is not None:
                hair = (s.get("attr_acc_recon") or {}).get("hair_colour")
                lines += [f"The VAE alone at the solo -> combo switch (after epoch {s['epoch']}, "
                          f"`vae.switch.params`; the claims bar of a reference reads it): fid_recon "
                          f"{s['fid_recon']:.4g} of fid_mean_image {s['fid_mean_image']:.4g}"
                          + (f", hair colour {hair:.3f}" if hair is not None else "") + ".", ""]
    if stats is not None and len(stats):
        lines += ["## Training statistics", ""]
        cols = [c for c in ("epoch", "phase", "vae_loss", "pbp_loss", "kl", "adv_loss", "disc_loss",
                            "disc_acc_real", "disc_acc_fake", "pbp_weight", "disc_weight", "seconds", "event")
                if c in stats.columns and stats[c].notna().any()]
        show = stats if len(stats) <= 20 else pd.concat([stats.head(10), stats.tail(10)])
        lines += ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
        for _, r in show.iterrows():
            lines.append("| " + " | ".join(_fmt(r[c]) if not (isinstance(r[c], float) and np.isnan(r[c])) else ""
                                           for c in cols) + " |")
        lines.append("")
    path = os.path.join(run_dir, "README.md")
    atomic_write_bytes(path, "\n".join(lines).encode())
    return path
