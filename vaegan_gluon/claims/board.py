"""Run folders -> the claims board: ``claims.json`` and ``claims.md`` (nothing here trains).

For each claim of :data:`.catalogue.CLAIMS` the board selects two groups of runs (one per seed, at the
claim's scale), checks that both could show the effect (:mod:`.gates`) and were trained by the same code
(the numerics fingerprint in each run's ``config.json``), then applies :mod:`.rule`. Order of the
verdicts: **untested** (no runs), **invalid** (a gate failed, or the runs test something else than the
source says), **inconclusive** (n < 2, different or unrecorded code, or the test's own verdict), else the
rule's verdict. Every row keeps its per-seed values, its gates per seed and, for a sharpness claim, the
second view (blur relative to the data, FID with its image count and floor, attribute agreement, the
paired feature distance where recorded, precision / recall).
"""
import csv
import json
import math
import os

from ..utils import block_between, splice_between
from . import gates as G
from . import rule as R
from .catalogue import CLAIMS

VERDICTS = R.CLAIM_VERDICTS + R.EXPLORATORY_VERDICTS + R.OTHER_VERDICTS
get_path = G.get_path


# ----------------------------------------------------------------------------- run folders
def collect_runs(paths):
    """Every run folder (holding ``config.json`` and ``metrics.json``) under ``paths``, as dicts
    ``{"dir", "name", "scale", "seed", "commit", "fingerprint", "config", "metrics", "stats"}``."""
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
                dirnames[:] = []
    runs = []
    for d in sorted(found):
        config, metrics = _read_json(d, "config.json"), _read_json(d, "metrics.json")
        stats = []
        if os.path.exists(os.path.join(d, "training_statistics.csv")):
            with open(os.path.join(d, "training_statistics.csv"), newline="") as f:
                stats = list(csv.DictReader(f))
        runs.append({"dir": os.path.relpath(d), "name": config.get("name"), "scale": config.get("scale"),
                     "seed": get_path(config, "train.seed", 0), "commit": config.get("commit"),
                     "fingerprint": _canonical(get_path(config, "numerics.fingerprint")),
                     "config": config, "metrics": metrics, "stats": stats})
    return runs


def _read_json(d, name):
    path = os.path.join(d, name)
    try:
        with open(path) as f:
            out = json.load(f)
    except (OSError, ValueError) as err:
        raise ValueError(f"{path}: unreadable ({err}); re-run or remove that run folder") from None
    if not isinstance(out, dict):
        raise ValueError(f"{path}: expected a JSON object; re-run or remove that run folder")
    return out


def _canonical(fp):
    if fp is None:
        return None
    try:
        from ..train.fingerprint import canonical
    except ImportError:
        return fp
    return canonical(fp)


def metric_value(run, name):
    """A metric of a run: a dotted key of metrics.json, or one derived here (``attr_agreement``: the mean
    agreement over the face attributes; ``blur_recon_over_data`` / ``blur_samples_over_data``)."""
    m = run["metrics"]
    if name == "attr_agreement":
        acc = [v for v in (m.get("attr_acc_recon") or {}).values() if isinstance(v, (int, float))]
        return sum(acc) / len(acc) if acc else None
    if name.endswith("_over_data") and name not in m:
        num, data = G._f(m.get(name[: -len("_over_data")])), G._f(m.get("blur_data"))
        return num / data if num is not None and data else None
    return get_path(m, name)


# ----------------------------------------------------------------------------- group selection
def _matches(run, sel, scale, config_of=None):
    if run["name"] != sel["experiment"] or (scale is not None and run["scale"] != scale):
        return False
    for key, want in sel.get("where", {}).items():
        got = get_path(run["config"], key)
        if isinstance(want, float) and isinstance(got, (int, float)):
            if not math.isclose(got, want, rel_tol=1e-9):
                return False
        elif got != want:
            return False
    return _is_a_seed(run, sel, config_of)


# settings that say how a run was kept or scheduled, not what it trained
BOOKKEEPING = ("train.seed", "train.keep_checkpoints", "train.log_interval")
# the settings that size an experiment at a scale (not data.n_train: runs asked for 4,000 of the 3,712
# training faces there are, and got the same 3,712)
SCALE_KEYS = ("train.n_epochs", "train.n_solo_epochs", "data.options.n", "data.options.size")


def _is_a_seed(run, sel, config_of=None):
    """False when the run is another experiment than ``sel`` selects: other networks than the catalogue's
    at its scale, or a ``--set`` override ``sel`` does not select that changes the catalogue's value.

    ``config_of(name, scale, overrides) -> config`` is the experiments' catalogue (passed in by the layer
    above: claims do not import experiments); without it every run of the experiment counts."""
    if config_of is None:
        return True
    try:
        expected = config_of(run["name"], run["scale"] or "full", dict(sel.get("where", {})))
    except (KeyError, ValueError):
        return True
    if any(run["config"].get(k, expected.get(k)) != expected.get(k) for k in ("vae", "disc")):
        return False
    for k in SCALE_KEYS:
        want = get_path(expected, k)
        if want is not None and k not in sel.get("where", {}) and get_path(run["config"], k, want) != want:
            return False
    return all(get_path(expected, k, v) == v for k, v in run["config"].get("overrides", {}).items()
               if k not in BOOKKEEPING and k not in sel.get("where", {}))


def _is_variant(run, sel, claims, config_of=None):
    """True when ``run`` matches another claim's selection of the same experiment that selects more settings
    than ``sel`` (a sweep arm at the reference's epochs): ``sel`` does not pick it up."""
    mine = sel.get("where") or {}
    for c in claims:
        for side in ("ours", "reference"):
            other = c[side]
            if not other or other["experiment"] != sel["experiment"]:
                continue
            theirs = other.get("where") or {}
            if len(theirs) > len(mine) and all(theirs.get(k, object()) == v for k, v in mine.items()):
                if _matches(run, other, None, config_of):
                    return True
    return False


def select(runs, sel, scale=None, claims=CLAIMS, config_of=None):
    """The runs of one group: the experiment's seeds at ``scale`` (one per seed: the last folder)."""
    chosen = {}
    for r in runs:
        if _matches(r, sel, scale, config_of) and not _is_variant(r, sel, claims, config_of):
            chosen[(r["scale"], r["seed"])] = r
    return [chosen[k] for k in sorted(chosen, key=str)]


# ----------------------------------------------------------------------------- one claim
def _summary(runs, metric):
    s = R.summarise(metric_value(r, metric) for r in runs)
    s["seeds"] = [r["seed"] for r in runs if metric_value(r, metric) is not None]
    return s


# statistics columns that time a run rather than say what it trained
_TIMING = ("seconds", "per_s", "wall")


def shared_start(a, b):
    """True when runs ``a`` and ``b`` trained the same solo phase bit for bit (every recorded statistic of
    every solo epoch equal as written), None when either recorded no solo epoch.

    Why the sweeps need no branching from a switch checkpoint: an arm changes a combo-phase setting (the
    PBP weight is 1 in solo epochs before the switch), so one seed's arms run the same solo epochs from the
    same seed; this check shows it held in the runs instead of assuming it."""
    sa, sb = ([r for r in run["stats"] if r.get("phase") == "solo"] for run in (a, b))
    if not sa or not sb:
        return None
    # the columns both runs wrote (an arm can add its own, e.g. the adaptive weight's adv_weight, empty in solo
    # epochs), timing aside
    keys = [k for k in sa[0] if k in sb[0] and not any(t in k for t in _TIMING)]
    return len(sa) == len(sb) and all(ra.get(k) == rb.get(k) for ra, rb in zip(sa, sb) for k in keys)


def _paired_diffs(ours_runs, ref_runs, metric):
    """Summary of ours - reference over the seeds both groups ran (None if the claim is unpaired), with
    ``shared_start``: per seed, whether both runs trained the same solo phase (:func:`shared_start`)."""
    ref_by_seed = {r["seed"]: r for r in ref_runs}
    d = [metric_value(r, metric) - metric_value(ref_by_seed[r["seed"]], metric) for r in ours_runs
         if r["seed"] in ref_by_seed and metric_value(r, metric) is not None
         and metric_value(ref_by_seed[r["seed"]], metric) is not None]
    out = R.summarise(d)
    out["seeds"] = [r["seed"] for r in ours_runs if r["seed"] in ref_by_seed]
    out["shared_start"] = {str(r["seed"]): shared_start(r, ref_by_seed[r["seed"]]) for r in ours_runs
                           if r["seed"] in ref_by_seed}
    # the CPU class each side trained on (fingerprint.cpu; None before it was recorded): arms of one seed
    # made on two classes sum in another order, so their solo phases differ though code and seed are one
    out["cpu"] = {str(r["seed"]): [get_path(r["config"], "numerics.cpu.isa"),
                                   get_path(ref_by_seed[r["seed"]]["config"], "numerics.cpu.isa")]
                  for r in ours_runs if r["seed"] in ref_by_seed}
    return out


def _delta(claim, ref):
    how, x = claim["delta"]
    if how == "rel":
        return None if ref["mean"] is None else abs(ref["mean"]) * x
    return x


def _gate_reasons(row_gates):
    """Every failed gate, the reference's first (a broken reference is the first thing to mend)."""
    out = []
    for side in ("reference", "ours"):
        for g, v in row_gates[side].items():
            seeds = [s for s, (ok, _) in v["seeds"].items() if ok is False]
            if v["passed"] is False:
                why = v["seeds"][seeds[0]][1]
                out.append(f"{side}: {g.replace('_', ' ')} fails in seed{'s' if len(seeds) > 1 else ''} "
                           f"{', '.join(seeds)} ({why})")
    return "; ".join(out) or None


def _code(ours_runs, ref_runs):
    fps = {side: [r["fingerprint"] for r in rs] for side, rs in (("ours", ours_runs), ("reference", ref_runs))}
    every = fps["ours"] + fps["reference"]
    if any(f is None for f in every):
        return fps, "code version unrecorded (no numerics fingerprint: re-run both groups)"
    if len(set(every)) > 1:
        return fps, f"groups trained by different code ({len(set(every))} numerics fingerprints: re-run both groups)"
    return fps, None


# second-view measures that runs record only from this version on (older runs lack the parameters to re-score)
RECORDED_FROM_NOW = ("paired_feature_dist", "psnr")


def _second_view(claim, ours_runs, ref_runs):
    out = {}
    for name in claim["second_view"] + ([claim["fidelity"]] if claim["fidelity"] else []):
        o, r = _summary(ours_runs, name), _summary(ref_runs, name)
        entry = {"ours": o, "reference": r}
        if o["n"] >= 2 and r["n"] >= 2:
            better = "lower" if name.startswith(("fid", "paired_feature_dist")) else "higher"
            w = R.welch(o, r, 1.0 if better == "higher" else -1.0)
            entry.update(better=better, effect=w["effect"], p_better=R.p_greater(w), p_worse=R.p_less(w))
        elif o["n"] == 0 and r["n"] == 0 and name.startswith(RECORDED_FROM_NOW):
            entry["pending"] = "not in these runs' metrics.json (recorded by runs made from now on)"
        out[name] = entry
    return out


def _compound(claim, verdict, test, view):
    """"sharper but less faithful": the sharpness claim holds (or the question changes it in the sharper
    direction) while the paired fidelity measure is significantly worse."""
    if not claim["fidelity"] or test is None:
        return None
    sharper = verdict == "holds" and claim["kind"] == "directional" or (verdict == "changes" and test["effect"] > 0)
    fid = view.get(claim["fidelity"], {})
    if sharper and fid.get("p_worse") is not None and fid["p_worse"] < R.ALPHA:
        return "sharper but less faithful"
    if sharper and fid.get("p_better") is not None and fid["p_better"] < R.ALPHA:
        return "sharper and more faithful"
    return None


def judge_claim(claim, runs, scale=None, claims=CLAIMS, config_of=None):
    """One row of the board (see the module docstring; ``config_of``: :func:`_is_a_seed`)."""
    at = scale or claim["scale"]
    row = {k: claim.get(k) for k in ("id", "source", "quote", "statement", "kind", "metric", "better", "delta_why",
                                     "second_view", "fidelity", "needs", "min_seeds")}
    row.update(scale=at, delta_rule=list(claim["delta"]), rule=R.RULE, test=None, compound=None,
               selection={"ours": claim["ours"], "reference": claim["reference"]})
    if claim["ours"] is None or claim["reference"] is None:
        empty = R.summarise([])
        row.update(ours=empty, reference=empty, delta=None, verdict="untested", reason=f"needs {claim['needs']}",
                   gates={}, code=None, runs={"ours": [], "reference": []}, second=None, engaged=None)
        return row
    ours_runs = select(runs, claim["ours"], at, claims, config_of)
    ref_runs = select(runs, claim["reference"], at, claims, config_of)
    ours, ref = _summary(ours_runs, claim["metric"]), _summary(ref_runs, claim["metric"])
    row.update(ours=ours, reference=ref, delta=_delta(claim, ref),
               runs={"ours": [r["dir"] for r in ours_runs], "reference": [r["dir"] for r in ref_runs]})
    row["gates"] = {"ours": G.check_group(claim, "ours", ours_runs),
                    "reference": G.check_group(claim, "reference", ref_runs)}
    fps, code_problem = _code(ours_runs, ref_runs)
    row["code"] = {"fingerprints": fps, "same": code_problem is None}
    row["engaged"] = {side: [G.engaged(r) for r in rs] for side, rs in (("ours", ours_runs), ("reference", ref_runs))}
    # per seed, the discriminator's training accuracy at its best and in the last combo epoch (None: no D)
    row["disc_acc"] = {side: [G.disc_best_last(r) for r in rs] for side, rs in (("ours", ours_runs),
                                                                                ("reference", ref_runs))}
    row["second"] = _second_view(claim, ours_runs, ref_runs)
    diffs = _paired_diffs(ours_runs, ref_runs, claim["metric"]) if claim.get("paired") else None
    row["paired"] = diffs
    if diffs is not None and diffs["n"] >= 2:
        row["test"] = R.judge(claim["kind"], ours, ref, claim["better"], row["delta"], diffs=diffs)
    elif ours["n"] >= 2 and ref["n"] >= 2 and not claim.get("paired"):
        row["test"] = R.judge(claim["kind"], ours, ref, claim["better"], row["delta"])
    gate_problem = _gate_reasons(row["gates"])
    if ours["n"] == 0 or ref["n"] == 0:
        verdict, reason = "untested", "no run of " + ("ours" if ours["n"] == 0 else "the reference") + \
                          (f"; needs {claim['needs']}" if claim["needs"] else "")
    elif claim["invalid"]:
        verdict, reason = "invalid", claim["invalid"]
    elif gate_problem:
        verdict, reason = "invalid", gate_problem
    elif ours["n"] < 2 or ref["n"] < 2:
        verdict, reason = "inconclusive", f"n = {ours['n']} and {ref['n']} seeds: a t-test needs >= 2 per group"
    elif row["test"] is None:
        verdict, reason = "inconclusive", "fewer than 2 seeds shared by both groups for the paired comparison"
    elif code_problem:
        t = row["test"]
        verdict, reason = "inconclusive", f"{code_problem}; the test alone would say {t['verdict']} " \
                                          f"(one-sided p {t['p_predicted']:.2g})"
    else:
        verdict, reason = row["test"]["verdict"], None
    if verdict in ("inconclusive", "no change shown") and row["test"]:
        t = row["test"]
        need = f"{t['seeds_needed']} seeds per group" if t["seeds_needed"] else "more than 200 seeds per group"
        power = f"MDE {_n(t['mde'])} against δ {_n(row['delta'])}; {need} would bring it under δ"
        reason = f"underpowered: {power}" if reason is None else f"{reason}; {power}"
    row.update(verdict=verdict, reason=reason)
    row["compound"] = _compound(claim, verdict, row["test"], row["second"]) if verdict in ("holds", "changes") else None
    return row


def build_claims(paths, scale=None, commit=None, claims=CLAIMS, config_of=None):
    """The board over the run folders under ``paths``: ``{"commit", "rule", "claims", "counts", ...}``.

    ``config_of(name, scale, overrides)``: the experiments' catalogue, to tell a seed of an experiment
    from a run made with other settings (:func:`_is_a_seed`); the CLI and the campaign pass
    :func:`vaegan_gluon.experiments.config.get_config`."""
    from ..utils import current_commit
    runs = collect_runs(paths)
    rows = [judge_claim(c, runs, scale, claims, config_of) for c in claims]
    commits = sorted({r["commit"] for r in runs if r["commit"]})
    return {"commit": commit or current_commit(), "run_commits": commits, "scale": scale, "rule": R.RULE,
            "alpha": R.ALPHA, "power": R.POWER, "claims": rows,
            "counts": {v: sum(r["verdict"] == v for r in rows) for v in VERDICTS}}


# ----------------------------------------------------------------------------- markdown
def _n(x):
    if x is None:
        return "–"
    a = abs(x)
    return f"{x:,.0f}" if a >= 100 else f"{x:.3g}"


def _values(s):
    if not s["n"]:
        return "–"
    vals = ", ".join(_n(v) for v in s["values"])
    return f"{_n(s['mean'])} [{vals}]"


def _verdict_cell(c):
    out = f"**{c['verdict']}**"
    if c.get("compound"):
        out += f" ({c['compound']})"
    if c.get("reason"):
        out += f": {c['reason']}"
    paired = c.get("paired") or {}
    shared = [v for v in (paired.get("shared_start") or {}).values() if v is not None]
    if shared:
        out += f" (paired by seed; the same solo phase in {sum(shared)} of {len(shared)} seeds"
        apart = [f"seed {s}: {a or 'unrecorded'} / {b or 'unrecorded'}"
                 for s, v in (paired.get("shared_start") or {}).items() if v is False
                 for a, b in [(paired.get("cpu") or {}).get(s) or (None, None)] if a != b or a is None]
        out += (f"; where not, the arms' CPU classes: {', '.join(apart)})" if apart else ")")
    return out


def claims_markdown(table):
    """The board's main table: per-seed values, the effect with its 90 % CI, the verdict and its reason."""
    lines = ["| claim | source | kind | metric | ours: mean [per seed] | reference: mean [per seed] | "
             "effect [90 % CI] (δ) | verdict |", "|---|---|---|---|---|---|---|---|"]
    for c in table["claims"]:
        arrow = "↑" if c["better"] == "higher" else "↓"
        t = c.get("test")
        eff = f"{_n(t['effect'])} [{_n(t['ci90'][0])}, {_n(t['ci90'][1])}] (δ {_n(c['delta'])})" if t else "–"
        lines.append(f"| `{c['id']}`: {c['statement']} | `{c['source'][:3]}` | {c['kind']} | {c['metric']} {arrow} | "
                     f"{_values(c['ours'])} | {_values(c['reference'])} | {eff} | {_verdict_cell(c)} |")
    return "\n".join(lines) + "\n"


def counts_line(table):
    # in the rule's order (claims.json is written with sorted keys, which would reorder them)
    counts = [(v, table["counts"].get(v)) for v in VERDICTS if table["counts"].get(v)]
    return "Verdicts: " + ", ".join(f"{v} {n}" for v, n in counts) + "."


def second_view_markdown(table):
    """Every sharpness claim's second view: means of ours / the reference and, where a t-test is possible,
    which way it points (✓ better, ✗ worse at alpha 0.05; = no difference shown)."""
    names = ["blur_recon_over_data", "fid_recon", "attr_agreement", "paired_feature_dist.mean", "precision", "recall"]
    lines = ["| claim | " + " | ".join(names) + " | FID images (floor fid_data) | fid_recon 90 % bootstrap CI "
             "(ours; reference) | discriminator engaged (ours; reference) |", "|---|" + "---|" * (len(names) + 3)]
    for c in table["claims"]:
        view = c.get("second") or {}
        if "blur_recon_over_data" not in view:
            continue
        cells = []
        for name in names:
            e = view.get(name)
            if not e or e.get("pending") or not (e["ours"]["n"] or e["reference"]["n"]):
                cells.append("pending (re-run)" if e and e.get("pending") else "–")
                continue
            mark = ("" if "p_better" not in e else "✓" if e["p_better"] < R.ALPHA
                    else "✗" if e["p_worse"] < R.ALPHA else "=")
            cells.append(f"{_n(e['ours']['mean'])} / {_n(e['reference']['mean'])} {mark}")
        runs = c["runs"]["ours"] + c["runs"]["reference"]
        cells.append(_fid_images(runs))
        cells.append("; ".join(_cis(c["runs"][side]) for side in ("ours", "reference")))
        cells.append("; ".join(_engaged(c.get("engaged", {}).get(side) or []) for side in ("ours", "reference")))
        lines.append(f"| `{c['id']}` | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _engaged(flags):
    """"k of n" seeds in which the adversarial term moved fid_recon >= 20 % from the switch (gates.engaged)."""
    known = [f for f in flags if f is not None]
    return f"{sum(known)} of {len(known)}" if known else "–"


def _cis(dirs):
    """Each run's bootstrap 90 % interval of fid_recon (recorded by runs made from this version on)."""
    out = []
    for d in dirs:
        try:
            ci = _read_json(d, "metrics.json").get("fid_recon_ci90")
        except ValueError:
            ci = None
        out.append(f"[{_n(ci[0])}, {_n(ci[1])}]" if isinstance(ci, list) and len(ci) == 2 else "pending")
    return ", ".join(out) or "–"


def _fid_images(dirs):
    ns, floors = set(), []
    for d in dirs:
        try:
            m = _read_json(d, "metrics.json")
        except ValueError:
            continue
        if m.get("n_eval_images"):
            ns.add(int(m["n_eval_images"]))
        if m.get("fid_data") is not None:
            floors.append(m["fid_data"])
    if not ns:
        return "–"
    floor = f" ({_n(min(floors))}-{_n(max(floors))})" if floors else ""
    return "/".join(str(n) for n in sorted(ns)) + floor


def gates_markdown(table):
    """Each tested claim's gates per group: which passed, and the seeds that failed with why."""
    lines = ["| claim | group | gate | passed | per seed |", "|---|---|---|---|---|"]
    for c in table["claims"]:
        for side in ("ours", "reference"):
            for g, v in (c.get("gates") or {}).get(side, {}).items():
                mark = {True: "yes", False: "**no**", None: "–"}[v["passed"]]
                per = "; ".join(f"{s}: {why}" for s, (ok, why) in v["seeds"].items())
                lines.append(f"| `{c['id']}` | {side} | {g} | {mark} | {per} |")
    return "\n".join(lines) + "\n"


def readme_markdown(table):
    """The README's block: the counts and the rule, then the main table."""
    return (f"{counts_line(table)} Board of commit `{(table.get('commit') or 'unknown')[:12]}` over runs of "
            f"{len(table.get('run_commits') or [])} commits.\n\n" + claims_markdown(table))


def report_markdown(table):
    """``claims.md``: the rule, the main table, the second view of the sharpness claims, the gates, and each
    claim's source sentence."""
    quotes = "\n".join(f"- `{c['id']}` ({c['source']}): “{c['quote']}”" for c in table["claims"])
    return (f"# The claims board\n\nRule: {table['rule']}\n\n{readme_markdown(table)}\n"
            "## Second view of the sharpness claims\n\n"
            "ours / reference means; ✓ better, ✗ worse (Welch, one-sided, alpha 0.05), = no difference shown.\n\n"
            f"{second_view_markdown(table)}\n## Validity gates, per group and seed\n\n{gates_markdown(table)}\n"
            f"## What each source says\n\n{quotes}\n")


def write_claims(table, out_dir):
    """Write ``claims.json`` and ``claims.md`` into ``out_dir``; returns their paths."""
    os.makedirs(out_dir, exist_ok=True)
    pj, pm = os.path.join(out_dir, "claims.json"), os.path.join(out_dir, "claims.md")
    with open(pj, "w") as f:
        json.dump(_finite(table), f, indent=1, sort_keys=True, allow_nan=False)
    with open(pm, "w") as f:
        f.write(report_markdown(table))
    return pj, pm


def _finite(x):
    """``x`` with every non-finite float (a t of +-inf when both groups have sd 0) as None."""
    if isinstance(x, dict):
        return {k: _finite(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_finite(v) for v in x]
    return None if isinstance(x, float) and not math.isfinite(x) else x


README_BEGIN = "<!-- claims table: generated by `vaegan claims ... --readme README.md`; do not edit -->"
README_END = "<!-- end of the claims table -->"


def splice_readme(path, markdown, begin=README_BEGIN, end=README_END):
    """Put the claims block into ``path`` between its markers."""
    return splice_between(path, markdown, begin, end)


def readme_block(path, begin=README_BEGIN, end=README_END):
    """The claims block the README at ``path`` shows."""
    return block_between(path, begin, end)


SMALL_OUTPUTS = ("config.json", "metrics.json", "training_statistics.csv")


def keep_run(run_dir, dest):
    """Copy one run's small outputs (:data:`SMALL_OUTPUTS`) into ``dest/<model_on_data>/<run folder>``."""
    import shutil
    out = os.path.join(dest, os.path.basename(os.path.dirname(os.path.abspath(run_dir))), os.path.basename(run_dir))
    if os.path.abspath(out) != os.path.abspath(run_dir):
        os.makedirs(out, exist_ok=True)
        for name in SMALL_OUTPUTS:
            if os.path.exists(os.path.join(run_dir, name)):
                shutil.copyfile(os.path.join(run_dir, name), os.path.join(out, name))
    return out


def keep_small_outputs(table, dest):
    """Copy the small outputs of every run a claim rests on (:func:`keep_run`), so that the board can be
    rebuilt from a checkout; returns the run folders written."""
    written = []
    for c in table["claims"]:
        for d in c["runs"]["ours"] + c["runs"]["reference"]:
            out = keep_run(d, dest)
            if out not in written and os.path.abspath(out) != os.path.abspath(d):
                written.append(out)
    return written
