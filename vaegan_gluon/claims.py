"""Run folders -> the studies' claims with verdicts: ``claims.json`` and ``claims.md``.

A claim (:data:`vaegan_gluon.claims_catalog.CLAIMS`) compares one metric of two groups of runs, *ours*
(e.g. the VAE with a discriminator) and the *reference* (e.g. the VAE alone), each group being the seeds
of one experiment at one scale. For each group we report mean, sample standard deviation and n; the
verdict follows one written rule (:data:`RULE`):

- **holds**: the effect in the direction the study predicts exceeds ``K`` standard errors of the
  difference of the means (Welch: ``sqrt(sd_o^2/n_o + sd_r^2/n_r)``), with at least ``min_n`` seeds on
  each side; for a *cost* claim (one with a ``tolerance``: "costs at most 5 nats"), the cost plus ``K``
  standard errors is within the tolerance;
- **does not hold**: the effect is within ``K`` standard errors or opposite, *and* the reference run
  passed its convergence bar (:data:`~vaegan_gluon.claims_catalog.BASELINE_BARS`: the VAE alone has left
  the mean-image stage; a reference trained with a discriminator after solo epochs is held to it at the
  solo -> combo switch, see :func:`bar_metrics`), so the setup could have shown the effect;
- **inconclusive**: anything else (too few seeds, or a reference that did not pass its bar);
- **untested**: no run of one of the two groups was given.

Everything here reads folders written by :func:`vaegan_gluon.experiments.run_experiment`
(``config.json``, ``metrics.json``); nothing trains. CLI: ``vaegan claims RUN_DIR... [--out DIR]``.
"""
import json
import math
import os
import subprocess

from .claims_catalog import BASELINE_BARS, CLAIMS
from .utils import block_between, splice_between

__all__ = ["RULE", "K", "collect_runs", "build_claims", "bar_metrics", "claims_markdown", "baselines_markdown", "report_markdown",
           "write_claims", "current_commit"]

K = 2.0
RULE = (f"holds if ours - reference in the predicted direction > {K:g} standard errors of the difference "
        "(Welch) with >= min_n seeds each (a cost claim: if the cost + 2 SE <= its tolerance); does not hold "
        "if not, and the reference passed its bar; else inconclusive")
VERDICTS = ("holds", "does not hold", "inconclusive", "untested")


def current_commit(path=None):
    """The git commit of the checkout holding this package (or ``path``), or None outside git."""
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=path or os.path.dirname(__file__),
                             capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def get_path(d, dotted, default=None):
    """``d["a"]["b"]`` for ``"a.b"``; ``default`` when any part is missing."""
    for part in dotted.split("."):
        if not isinstance(d, dict) or part not in d:
            return default
        d = d[part]
    return d


def collect_runs(paths):
    """Every run folder (holding ``config.json`` and ``metrics.json``) under ``paths``, as dicts
    ``{"dir", "name", "scale", "seed", "commit", "config", "metrics"}``, sorted by folder."""
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    found = set()
    for root in paths:
        root = os.fspath(root)
        if not os.path.isdir(root):
            raise FileNotFoundError(f"no run folder at {root!r}: give folders written by `vaegan run`")
        for dirpath, dirnames, filenames in os.walk(root):
            if "config.json" in filenames and "metrics.json" in filenames:
                found.add(os.path.abspath(dirpath))
                dirnames[:] = []      # a run folder's subfolders (checkpoints, images) hold no runs
    runs = []
    for d in sorted(found):
        with open(os.path.join(d, "config.json")) as f:
            config = json.load(f)
        with open(os.path.join(d, "metrics.json")) as f:
            metrics = json.load(f)
        runs.append({"dir": os.path.relpath(d), "name": config.get("name"), "scale": config.get("scale"),
                     "seed": get_path(config, "train.seed", 0), "commit": config.get("commit"),
                     "config": config, "metrics": metrics})
    return runs


def _matches(run, sel, scale):
    if run["name"] != sel["experiment"] or (scale is not None and run["scale"] != scale):
        return False
    for key, want in sel.get("where", {}).items():
        got = get_path(run["config"], key)
        if isinstance(want, float) and isinstance(got, (int, float)):
            if not math.isclose(got, want, rel_tol=1e-9):
                return False
        elif got != want:
            return False
    return _is_a_seed(run, sel)


# settings that say how a run was kept or scheduled, not what it trained: a seed-1 run made with
# --no-checkpoints is still a seed of its experiment
BOOKKEEPING = ("train.seed", "train.keep_checkpoints", "train.log_interval")
# the settings that size an experiment at a scale (compared with the catalogue's, see _is_a_seed)
# (not data.n_train: runs asked for 4,000 of the 3,712 training faces there are, and got the same 3,712)
SCALE_KEYS = ("train.n_epochs", "train.n_solo_epochs", "data.options.n", "data.options.size")


def _is_a_seed(run, sel):
    """False when the run is another experiment than ``sel`` selects: its networks are not the
    catalogue's at its scale (``--set vae.n_hidden_units=1024``), or a ``--set`` override that ``sel``
    does not select changes the catalogue's value (a sweep run with ``train.n_epochs=8`` is not a seed
    of the 25-epoch experiment)."""
    from .experiments.config import get_config
    try:
        expected = get_config(run["name"], run["scale"] or "full", dict(sel.get("where", {})))
    except (KeyError, ValueError):
        return True
    if any(run["config"].get(k, expected.get(k)) != expected.get(k) for k in ("vae", "disc")):
        return False
    # the settings a scale fixes: a run made before the catalogue re-sized its experiment (the dense pair
    # from 60 to 100 epochs) is not a seed of the re-sized one
    for k in SCALE_KEYS:
        want = get_path(expected, k)    # None: the catalogue leaves it at the default (overrides say more)
        if want is not None and k not in sel.get("where", {}) and get_path(run["config"], k, want) != want:
            return False
    return all(get_path(expected, k, v) == v for k, v in run["config"].get("overrides", {}).items()
               if k not in BOOKKEEPING and k not in sel.get("where", {}))


def _is_variant(run, sel):
    """True when ``run`` sets a value that another claim's ``where`` selects (a sweep variant), so the
    plain baseline selection does not pick it up."""
    for claim in CLAIMS:
        for side in ("ours", "reference"):
            other = claim[side]
            if other["experiment"] == sel["experiment"] and other.get("where") and not sel.get("where"):
                if _matches(run, other, None):
                    return True
    return False


def select(runs, sel, scale=None):
    """The runs of one group: the experiment's seeds at ``scale`` (one per seed: the newest folder)."""
    chosen = {}
    for r in runs:
        if _matches(r, sel, scale) and not _is_variant(r, sel):
            chosen[(r["scale"], r["seed"])] = r
    return [chosen[k] for k in sorted(chosen, key=str)]


def summarise(values):
    """``{"mean", "sd", "n"}`` of finite values (sd: the sample standard deviation, None for n < 2)."""
    vals = [float(v) for v in values if v is not None and math.isfinite(float(v))]
    n = len(vals)
    if n == 0:
        return {"mean": None, "sd": None, "n": 0}
    mean = sum(vals) / n
    sd = math.sqrt(sum((v - mean) ** 2 for v in vals) / (n - 1)) if n > 1 else None
    return {"mean": mean, "sd": sd, "n": n}


def passes_bar(run_metrics):
    """Whether one reference run passed :data:`BASELINE_BARS` (None when its metrics do not say)."""
    checks = []
    fid, ceiling = run_metrics.get("fid_recon"), run_metrics.get("fid_mean_image")
    if fid is not None and ceiling:
        checks.append(fid <= BASELINE_BARS["fid_recon_over_mean_image"] * ceiling)
    hair = get_path(run_metrics, "attr_acc_recon.hair_colour")
    if hair is not None:
        checks.append(hair >= BASELINE_BARS["attr_acc_recon.hair_colour"])
    return all(checks) if checks else None


def bar_metrics(run_metrics):
    """The metrics a reference run is held to its bar with: those of the VAE at the solo -> combo switch
    (``metrics["at_switch"]``, written by runs trained with a discriminator after solo epochs) when the run
    has them, else its final metrics.

    Why: the bar asks whether *the VAE alone* has left the mean-image stage, so that the setup could show
    a discriminator's effect. A reference trained with a discriminator (the ResNet at weight 10, the
    baseline of the weight, PBP and decay sweeps) ends with that discriminator's own effect already in its
    reconstructions: measured on 2026-12-03, the ResNet's 5 combo epochs move hair colour anywhere between
    0.83 and 0.99 across seeds and solo lengths (20 and 30 solo epochs), while its FID stays far below the
    bar. Judged on its final metrics the bar measured the discriminator, not the VAE's convergence. A
    reference trained with a discriminator from its first step (no solo epochs, e.g. Larsen's VAE/GAN)
    has no VAE alone to score and is held to the bar with its final metrics."""
    return run_metrics.get("at_switch") or run_metrics


def verdict(ours, ref, better, min_n, reference_ok, tolerance=None):
    """The verdict of :data:`RULE` from two summaries; returns ``(verdict, effect, se)``.

    With ``tolerance`` the claim is a bounded cost ("costs at most ``tolerance``"): it holds when the cost
    (how much worse ours is than the reference in the ``better`` direction) plus ``K`` standard errors is
    within the tolerance, and does not hold when the cost minus ``K`` standard errors exceeds it."""
    if ours["n"] == 0 or ref["n"] == 0:
        return "untested", None, None
    sign = 1.0 if better == "higher" else -1.0
    effect = sign * (ours["mean"] - ref["mean"])
    if ours["n"] < min_n or ref["n"] < min_n:
        return "inconclusive", effect, None
    se = math.sqrt((ours["sd"] or 0.0) ** 2 / ours["n"] + (ref["sd"] or 0.0) ** 2 / ref["n"])
    if tolerance is not None:
        cost = -effect
        if cost + K * se <= tolerance:
            return "holds", effect, se
        return ("does not hold" if reference_ok and cost - K * se > tolerance else "inconclusive"), effect, se
    if effect > K * se and effect > 0:
        return "holds", effect, se
    return ("does not hold" if reference_ok else "inconclusive"), effect, se


def _group(runs, sel, metric, scale):
    chosen = select(runs, sel, scale)
    return chosen, summarise(get_path(r["metrics"], metric) for r in chosen)


def build_claims(paths, scale=None, commit=None, claims=CLAIMS):
    """The claims table over the run folders under ``paths`` (optionally only runs at ``scale``):
    ``{"commit", "rule", "claims": [...], "baselines": [...]}`` (see the module docstring)."""
    runs = collect_runs(paths)
    out, reference_names = [], []
    for c in claims:
        ours_runs, ours = _group(runs, c["ours"], c["metric"], scale or c["scale"])
        ref_runs, ref = _group(runs, c["reference"], c["metric"], scale or c["scale"])
        bars = [passes_bar(bar_metrics(r["metrics"])) for r in ref_runs]
        reference_ok = bool(bars) and all(b is True for b in bars)
        v, effect, se = verdict(ours, ref, c["better"], c["min_n"], reference_ok, c.get("tolerance"))
        out.append({"id": c["id"], "source": c["source"], "statement": c["statement"], "metric": c["metric"],
                    "better": c["better"], "tolerance": c.get("tolerance"), "ours": ours, "reference": ref, "verdict": v, "rule": RULE,
                    "min_n": c["min_n"], "scale": scale or c["scale"], "effect": effect, "se": se, "reference_passes_bar": reference_ok,
                    "selection": {"ours": c["ours"], "reference": c["reference"]},
                    "runs": {"ours": [r["dir"] for r in ours_runs], "reference": [r["dir"] for r in ref_runs]}})
        ref_key = (c["reference"]["experiment"], scale or c["scale"])
        if ref_runs and ref_key not in reference_names:
            reference_names.append(ref_key)
    baselines = []
    for name, at in reference_names:
        chosen = select(runs, {"experiment": name}, at)
        if not chosen:
            continue
        ms = [bar_metrics(r["metrics"]) for r in chosen]
        attrs = sorted({k for m in ms for k in (m.get("attr_acc_recon") or {})})
        with_disc = any(r["config"].get("disc") for r in chosen)
        switch = sorted({r["metrics"]["at_switch"]["epoch"] for r in chosen if r["metrics"].get("at_switch")})
        trained = "alone (no discriminator)"
        if with_disc:
            trained = "with a discriminator" + (f"; bar: the VAE alone at the solo -> combo switch (epoch "
                                                f"{', '.join(map(str, switch))})" if switch else "")
        baselines.append({"experiment": name, "scale": at, "n": len(chosen),
                          "trained_with": trained,
                          "bar_at": ["switch" if r["metrics"].get("at_switch") else "final" for r in chosen],
                          "seeds": [r["seed"] for r in chosen],
                          "fid_ratio": [m["fid_recon"] / m["fid_mean_image"] if m.get("fid_recon") is not None
                                        and m.get("fid_mean_image") else None for m in ms],
                          "hair_colour": [get_path(m, "attr_acc_recon.hair_colour") for m in ms],
                          "fid_recon": summarise(m.get("fid_recon") for m in ms),
                          "fid_mean_image": summarise(m.get("fid_mean_image") for m in ms),
                          "attr_acc_recon": {a: summarise(get_path(m, f"attr_acc_recon.{a}") for m in ms)
                                             for a in attrs},
                          "passes_bar": [passes_bar(m) for m in ms]})
    commits = sorted({r["commit"] for r in runs if r["commit"]})
    return {"commit": commit or (commits[0] if len(commits) == 1 else current_commit()),
            "run_commits": commits, "scale": scale, "rule": RULE, "claims": out, "baselines": baselines}


def _fmt(s, digits=4):
    if s["n"] == 0:
        return "–"
    mean = f"{s['mean']:.{digits}g}"
    return f"{mean} ± {s['sd']:.2g} (n={s['n']})" if s["sd"] is not None else f"{mean} (n={s['n']})"


def claims_markdown(table):
    """A markdown table of :func:`build_claims`' output (the README's and the notebooks' claims rows)."""
    lines = [f"Commit `{(table.get('commit') or 'unknown')[:12]}`; rule: {table['rule']}.", "",
             "| claim | source | scale | metric | ours | reference | verdict |", "|---|---|---|---|---|---|---|"]
    for c in table["claims"]:
        arrow = "↑" if c["better"] == "higher" else "↓"
        if c.get("tolerance") is not None:
            arrow = f"cost ≤ {c['tolerance']:g}"
        lines.append(f"| {c['statement']} | `{c['source']}` | {c.get('scale') or 'any'} | {c['metric']} {arrow} | {_fmt(c['ours'])} | "
                     f"{_fmt(c['reference'])} | **{c['verdict']}** |")
    counts = {v: sum(c["verdict"] == v for c in table["claims"]) for v in VERDICTS}
    lines += ["", "Verdicts: " + ", ".join(f"{v} {n}" for v, n in counts.items()) + "."]
    return "\n".join(lines) + "\n"


def baselines_markdown(table):
    """The references' bar, per seed: ``fid_recon / fid_mean_image`` (<= 0.5) and hair colour (>= 0.9)."""
    ratio_bar = BASELINE_BARS["fid_recon_over_mean_image"]
    hair_bar = BASELINE_BARS["attr_acc_recon.hair_colour"]
    lines = [f"References and their bar (fid_recon / fid_mean_image <= {ratio_bar:g}; faces also hair colour "
             f">= {hair_bar:g}), per seed:", "",
             "| reference | scale | trained | seeds | fid_recon / fid_mean_image | hair colour | passes |",
             "|---|---|---|---|---|---|---|"]
    for b in table.get("baselines", []):
        per = lambda vals: ", ".join("–" if v is None else f"{v:.3f}" for v in vals)  # noqa: E731
        passes = ", ".join({True: "yes", False: "**no**", None: "–"}[p] for p in b["passes_bar"])
        lines.append(f"| {b['experiment']} | {b['scale']} | {b.get('trained_with', '?')} | "
                     f"{', '.join(str(x) for x in b.get('seeds', []))} | {per(b.get('fid_ratio', []))} | "
                     f"{per(b.get('hair_colour', []))} | {passes} |")
    return "\n".join(lines) + "\n"


def report_markdown(table):
    """``claims.md`` and the README's block: the claims, the references' bar per seed, and how many
    commits of the code the runs were made with (``run_commits``: runs made before and after a change of
    the training core's arithmetic are draws of the same experiment, not bit-identical repeats)."""
    commits = table.get("run_commits") or []
    out = claims_markdown(table) + "\n" + baselines_markdown(table)
    if commits:
        out += (f"\nThe runs were made with {len(commits)} commit{'s' if len(commits) != 1 else ''} of the code "
                "(`run_commits` in claims.json; each run's `config.json` names its own).\n")
    return out


def write_claims(table, out_dir):
    """Write ``claims.json`` and ``claims.md`` into ``out_dir``; returns their paths."""
    os.makedirs(out_dir, exist_ok=True)
    pj, pm = os.path.join(out_dir, "claims.json"), os.path.join(out_dir, "claims.md")
    with open(pj, "w") as f:
        json.dump(table, f, indent=1, sort_keys=True, allow_nan=False)
    with open(pm, "w") as f:
        f.write(report_markdown(table))
    return pj, pm


README_BEGIN = "<!-- claims table: generated by `vaegan claims ... --readme README.md`; do not edit -->"
README_END = "<!-- end of the claims table -->"


def splice_readme(path, markdown, begin=README_BEGIN, end=README_END):
    """Put the claims table into ``path`` between its markers (:func:`vaegan_gluon.utils.splice_between`)."""
    return splice_between(path, markdown, begin, end)


def readme_block(path, begin=README_BEGIN, end=README_END):
    """The claims table the README at ``path`` shows (:func:`vaegan_gluon.utils.block_between`)."""
    return block_between(path, begin, end)


SMALL_OUTPUTS = ("config.json", "metrics.json", "training_statistics.csv")


def keep_small_outputs(table, dest):
    """Copy the small outputs (:data:`SMALL_OUTPUTS`) of every run a claim of ``table`` rests on into
    ``dest/<model_on_data>/<run folder>`` (the layout of a results root), so that the claims table can be
    rebuilt from a checkout; returns the run folders written."""
    import shutil
    written = []
    for c in table["claims"]:
        for d in c["runs"]["ours"] + c["runs"]["reference"]:
            out = os.path.join(dest, os.path.basename(os.path.dirname(os.path.abspath(d))), os.path.basename(d))
            if out in written or os.path.abspath(out) == os.path.abspath(d):
                continue
            os.makedirs(out, exist_ok=True)
            for name in SMALL_OUTPUTS:
                if os.path.exists(os.path.join(d, name)):
                    shutil.copyfile(os.path.join(d, name), os.path.join(out, name))
            written.append(out)
    return written
