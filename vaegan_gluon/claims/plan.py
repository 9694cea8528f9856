"""The plan before the runs: how many seeds each claim needs, what that costs, in which order.

From the board (``claims.json``): per claim, the seeds per group that bring the minimum detectable effect
under its margin (:func:`.rule.seeds_needed` from the observed standard deviations), or ``DEFAULT_SEEDS``
where no test ran yet (an invalid or untested row: its reference must be mended first). Every group is
re-run under one numerics fingerprint (the kept runs were made by 24 commits), so a group needs all its
seeds anew. Groups shared by several claims (the ConvVAE alone is the reference of six) are counted once,
at the largest n any of its claims needs. The cost of a run is the mean recorded ``train_seconds`` of the
group's kept runs (CPU seconds on the 2-core machine that made them). Order: seed 001's claims first (the
discriminator families, then its sweeps and solo -> combo), then 000/002, then the Larsen and stabiliser
rows, as the evidence issue asks.
"""
import json
import os

from .rule import seeds_needed, seeds_needed_paired

DEFAULT_SEEDS = 5
MAX_SEEDS = 12          # a claim needing more is reported, but planned at this many (the rest stays inconclusive)
BUDGET_HOURS = 20.0    # the evidence issue's budget on the 2-core machine
MIN_SEEDS = 3           # never fewer per group: at n = 2 a Welch test has 1-2 degrees of freedom
ORDER = ("001", "000", "002", "003", "004")


def _epoch_seconds(dirs):
    """Mean seconds of a solo and of a combo epoch in the kept runs' training_statistics.csv."""
    import csv
    sec = {"solo": [], "combo": []}
    for d in dirs:
        path = os.path.join(d, "training_statistics.csv")
        if not os.path.exists(path):
            continue
        with open(path, newline="") as f:
            for r in csv.DictReader(f):
                if r.get("phase") in sec and r.get("seconds"):
                    sec[r["phase"]].append(float(r["seconds"]))
    return {k: (sum(v) / len(v) if v else None) for k, v in sec.items()}


def _key(sel):
    return json.dumps(sel, sort_keys=True)


def _spent(dirs):
    """(runs, CPU hours) of the group's kept runs: the budget already spent on it."""
    secs = []
    for d in dirs:
        try:
            with open(os.path.join(d, "metrics.json")) as f:
                secs.append(float(json.load(f).get("train_seconds") or 0))
        except (OSError, ValueError):
            continue
    return len(secs), sum(secs) / 3600


#: beside the kept claims runs: the pilots' runs (the references mended before their campaign)
PILOTS = "pilot_runs"


def _spent_all(kept):
    """Every kept run's training seconds, the campaign's and the pilots' (``PILOTS`` beside ``kept``), runs at
    superseded settings included: ``{folder: (runs, CPU hours)}``, {} without ``kept``."""
    if not kept or not os.path.isdir(kept):
        return {}
    out = {}
    for root in (kept, os.path.join(os.path.dirname(os.path.abspath(kept)), PILOTS)):
        dirs = [d for d, _, files in os.walk(root) if "metrics.json" in files]
        if dirs:
            out[os.path.basename(os.path.normpath(root))] = _spent(dirs)
    return out


def _seconds(dirs):
    secs = []
    for d in dirs:
        try:
            with open(os.path.join(d, "metrics.json")) as f:
                m = json.load(f)
        except (OSError, ValueError):
            continue
        if m.get("train_seconds"):
            secs.append(float(m["train_seconds"]))
    return sum(secs) / len(secs) if secs else None


def _experiment_dirs(kept, experiment, config_of=None, scale="medium"):
    """The kept runs of ``experiment`` at any settings (to price a group none of whose runs exists yet); with
    none, the kept runs of the experiments training the same step (scheme, data source and both networks'
    models at ``scale``: a stabiliser arm no run has tried yet is priced from its reference's seconds)."""
    from .board import collect_runs
    if not kept or not os.path.isdir(kept):
        return []
    runs = collect_runs(kept)
    own = [r["dir"] for r in runs if r["name"] == experiment]
    step = _step(config_of, experiment, scale)
    if own or step is None:
        return own
    return [r["dir"] for r in runs if r["name"] and _step(config_of, r["name"], scale) == step]


def _config(config_of, experiment, scale):
    """The catalogue's configuration of ``experiment`` at ``scale``; None without a catalogue or that entry."""
    if config_of is None:
        return None
    try:
        return config_of(experiment, scale)
    except (KeyError, ValueError):
        return None


def _step(config_of, experiment, scale):
    """What an epoch of ``experiment`` costs, as a key: scheme, data source, the VAE's and the discriminator's
    model and widths at ``scale`` (None without a catalogue)."""
    cfg = _config(config_of, experiment, scale)
    if cfg is None:
        return None
    nets = tuple(json.dumps({k: v for k, v in (cfg.get(n) or {}).items() if k in ("model", "base_channels",
                                                                                   "n_latent")}, sort_keys=True)
                 for n in ("vae", "disc"))
    return (cfg["train"].get("scheme"), cfg["data"]["source"]) + nets


def _run_seconds(dirs, where, fallback_dirs, scale_epochs):
    """CPU seconds of one run: the group's kept runs' mean, else its epochs at other runs' seconds per epoch."""
    sec = _seconds(dirs)
    if sec is not None:
        return sec, "kept runs"
    per = _epoch_seconds(fallback_dirs)
    solo, combo = per["solo"] or per["combo"], per["combo"] or per["solo"]
    n = where.get("train.n_epochs", scale_epochs[0])
    n_solo = where.get("train.n_solo_epochs", scale_epochs[1])
    if solo is None or n is None:
        return None, None
    n_solo = n if n_solo is None else min(n_solo, n)
    if not per["combo"]:          # a model without a discriminator: every epoch is a solo epoch
        n_solo = n
    return n_solo * solo + (n - n_solo) * combo, "epochs x seconds per epoch of its other runs"


def make_plan(table, default_seeds=DEFAULT_SEEDS, max_seeds=MAX_SEEDS, kept=None, config_of=None, speed=None):
    """``{"claims": [...], "groups": [...], "cpu_hours": total}`` for a board (see the module docstring).

    ``kept``: the kept runs' folder, to price groups with no run at their settings from the same experiment's
    seconds per solo and combo epoch at other settings; ``config_of(name, scale)``: the experiments'
    catalogue (:func:`vaegan_gluon.experiments.config.get_config`), for the epochs a setting leaves as is;
    ``speed``: the benchmark's measured gains of the levers a group could adopt (``SPEED_FILE``): each group is
    also priced with its experiment's lever (all its seeds re-run with it: a lever that changes the arithmetic
    is not mixed with runs made without)."""
    claims, groups = [], {}
    rows = sorted(table["claims"], key=lambda c: ORDER.index(c["source"][:3]) if c["source"][:3] in ORDER else 9)
    for c in rows:
        sel = c.get("selection") or {}
        if c["verdict"] == "untested" and not (sel.get("ours") and sel.get("reference")):
            claims.append({"id": c["id"], "verdict": c["verdict"], "seeds": None, "note": c.get("reason")})
            continue
        t = c.get("test") or {}
        need, note = t.get("seeds_needed"), None
        if c["verdict"] == "untested":      # runs defined, none made yet: a first round, then plan again
            need = max(MIN_SEEDS, c.get("min_seeds") or 0)
            note = f"first round of {need} seeds; plan again from their spread"
        elif c["verdict"] == "invalid":
            need, note = min(need or default_seeds, max_seeds), f"invalid now; mend first: {c.get('reason')}"
        elif c["verdict"] in ("holds", "does not hold", "changes", "equivalent within delta"):
            need = max(c["ours"]["n"], c["reference"]["n"])
            note = "done" if (c.get("code") or {}).get("same") else "re-run at the same n under one fingerprint"
        else:
            if t and c.get("kind") == "directional" and t.get("effect") and abs(t["effect"]) > (c.get("delta") or 0):
                # an observed effect larger than delta: enough seeds to detect it (80 % power) decides the claim
                d = c.get("paired")
                to_see = (seeds_needed_paired(d["sd"], abs(t["effect"])) if d and d.get("sd") is not None else
                          seeds_needed(c["ours"].get("sd"), c["reference"].get("sd"), abs(t["effect"])))
                if to_see is not None and (need is None or to_see < need):
                    need, note = to_see, f"n to detect the observed effect {t['effect']:.3g} (larger than δ)"
            if need is None:
                need, note = default_seeds, f"no usable test yet: {default_seeds} seeds"
            elif need > max_seeds:
                note = f"needs {need} seeds per group; planned at {max_seeds} (stays inconclusive, smaller MDE)"
                need = max_seeds
        need = max(need, MIN_SEEDS, c.get("min_seeds") or 0)
        claims.append({"id": c["id"], "verdict": c["verdict"], "seeds": need, "note": note})
        for side in ("ours", "reference"):
            sel = c["selection"][side]
            g = groups.setdefault(_key(sel), {"selection": sel, "seeds": 0, "claims": [], "runs": c["runs"][side],
                                              "scale": c["scale"]})
            g["seeds"] = max(g["seeds"], need)
            g["claims"].append(c["id"])
    out_groups = []
    for g in groups.values():
        where = g["selection"].get("where") or {}
        exp = g["selection"]["experiment"]
        sec, how = _run_seconds(g["runs"], where, _experiment_dirs(kept, exp, config_of, g["scale"]),
                                _scale_epochs(config_of, exp, g["scale"]))
        done, spent = _spent(g["runs"])
        out_groups.append({"experiment": exp, "where": where, "scale": g["scale"], "seeds": g["seeds"],
                           "run_seconds": sec, "priced_from": how, "done": done, "spent_hours": spent,
                           "cpu_hours": None if sec is None else g["seeds"] * sec / 3600, "claims": g["claims"]})
    levers = _levers_by_family((speed or {}).get("levers") or {}, config_of)
    for g in out_groups:
        g["lever"] = levers.get(g["experiment"]) or levers.get(_family(config_of, g["experiment"], g["scale"]))
        g["adopted"] = None
        if g["lever"] and all(g["where"].get(k) == v for k, v in g["lever"]["setting"].items()):
            # the catalogue already runs this group with the lever: no further gain; priced from runs made
            # without it (other settings), its seconds are divided by the lever's measured gain
            g["adopted"], g["lever"] = g["lever"], None
            if g["cpu_hours"] is not None and g["priced_from"] != "kept runs":
                g["run_seconds"] /= g["adopted"]["gain"]
                g["cpu_hours"] /= g["adopted"]["gain"]
                g["priced_from"] += f" / the adopted lever's {g['adopted']['gain']:.2f}x"
        g["cpu_hours_levers"] = (None if g["cpu_hours"] is None else
                                 g["cpu_hours"] / (g["lever"]["gain"] if g["lever"] else 1.0))
    total = sum(g["cpu_hours"] or 0 for g in out_groups)
    return {"claims": claims, "groups": out_groups, "cpu_hours": total, "speed": speed,
            "cpu_hours_levers": sum(g["cpu_hours_levers"] or 0 for g in out_groups),
            "spent": {"runs": sum(g["done"] for g in out_groups), "hours": sum(g["spent_hours"] for g in out_groups)},
            "spent_all": _spent_all(kept),
            "unpriced": [g["experiment"] for g in out_groups if g["cpu_hours"] is None]}


def _family(config_of, experiment, scale="medium"):
    """``(scheme, data source)`` of an experiment with a discriminator (the step a lever measured on one of them
    speeds up in all of them, e.g. every MNIST Larsen stabiliser arm), None without one or a catalogue."""
    cfg = _config(config_of, experiment, scale)
    if cfg is None or not (cfg.get("disc") or {}).get("model"):
        return None
    return cfg["train"].get("scheme", "learnable_loss"), cfg["data"]["source"]


def _levers_by_family(levers, config_of):
    """The speed file's levers by experiment name and by their experiment's family (:func:`_family`)."""
    out = dict(levers)
    for exp, lever in levers.items():
        fam = _family(config_of, exp)
        if fam is not None:
            out.setdefault(fam, lever)
    return out


def _scale_epochs(config_of, experiment, scale):
    """(epochs, solo epochs) of ``experiment`` at ``scale`` in the catalogue (None when it is not there)."""
    cfg = _config(config_of, experiment, scale)
    if cfg is None:
        return None, None
    t = cfg.get("train") or {}
    return t.get("n_epochs"), t.get("n_solo_epochs")


HEADER = ("# The evidence plan\n\nGenerated by `vaegan claims plan --out docs/claims-plan.md` from "
          "`results/reference/claims.json` (do not edit). Per claim, the seeds per group that bring its minimum "
          "detectable effect (80 % power, alpha 0.05) under its margin δ, from the kept runs' standard deviations; "
          "per group, the CPU hours at the kept runs' recorded seconds. How: `vaegan_gluon/claims/plan.py`.\n\n")


#: the benchmark's lever gains per campaign experiment (``python -m benchmarks --render JSON --speed-out``)
SPEED_FILE = os.path.join("benchmarks", "results", "campaign_speed.json")


def read_speed(path=SPEED_FILE):
    """The lever gains at ``path`` (None when the file is not there: the plan prices today's speed only)."""
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def _levers_markdown(plan):
    speed = plan.get("speed")
    if not speed:
        return []
    def listed(key):
        used = {}
        for g in plan["groups"]:
            if g.get(key):
                lv = g[key]
                used.setdefault((lv["lever"], json.dumps(lv["setting"], sort_keys=True), lv["gain"]), []).append(
                    g["experiment"])
        return "; ".join(f"`{', '.join(f'{k}={v}' for k, v in json.loads(st).items())}` ({name}) at {gain:.2f}x on "
                         f"{', '.join(sorted(set(exps)))}" for (name, st, gain), exps in sorted(used.items()))
    what, adopted = listed("lever"), listed("adopted")
    before, after = plan["cpu_hours"], plan["cpu_hours_levers"]
    m = speed.get("machine") or {}
    return ["", f"**Before and after the speed levers** (the speed issue): today's code at the kept runs' seconds, "
            f"{before:.1f} CPU hours; with the levers a group could adopt, {after:.1f} CPU hours "
            f"({100 * (1 - after / before) if before else 0:.0f} % less), each priced at the gain measured over "
            f"ours in one invocation (`{speed.get('source')}`, {speed.get('timestamp')}, {m.get('cpu')}, GEMM "
            f"{m.get('gemm_gflop_s') or 0:.0f} GFLOP/s): {what or 'none measured'}. A lever that changes the "
            "arithmetic is adopted only with all its group's seeds re-run (priced so here); the rest "
            "of the campaign's time is in convolutions no lever here moves (docs/performance.md)."
            + (f" Adopted in the catalogue (priced at the other runs' seconds over the gain until runs with it are "
               f"kept): {adopted}." if adopted else "")]


def _spent_all_markdown(spent_all):
    if not spent_all:
        return ""
    runs, hours = sum(r for r, _ in spent_all.values()), sum(h for _, h in spent_all.values())
    parts = ", ".join(f"`{name}` {r} run{'' if r == 1 else 's'}, {h:.1f} h"
                      for name, (r, h) in sorted(spent_all.items()))
    return (f" Spent in all, against the evidence issue's budget of about {BUDGET_HOURS:.0f} CPU hours: {runs} runs, "
            f"{hours:.1f} CPU hours ({parts}; runs at settings since superseded and the reference pilots "
            "included).")


def plan_markdown(plan):
    lines = [HEADER + "| claim | verdict now | seeds per group | note |", "|---|---|---|---|"]
    for c in plan["claims"]:
        lines.append(f"| `{c['id']}` | {c['verdict']} | {c['seeds'] or '–'} | {c['note'] or ''} |")
    lines += ["", "| group (experiment, settings) | scale | seeds (kept) | CPU s a run | CPU hours (cumulative) "
              "| claims |",
              "|---|---|---|---|---|---|"]
    cum = 0.0
    for g in plan["groups"]:
        where = ", ".join(f"{k}={v}" for k, v in g["where"].items())
        sec = "–" if g["run_seconds"] is None else f"{g['run_seconds']:,.0f}"
        if g.get("priced_from") and g["priced_from"] != "kept runs":
            sec += " (est.)"
        cum += g["cpu_hours"] or 0
        hrs = "–" if g["cpu_hours"] is None else f"{g['cpu_hours']:.1f} ({cum:.1f})"
        budget = "" if cum <= BUDGET_HOURS else " past the budget"
        lines.append(f"| {g['experiment']} {where} | {g['scale']} | {g['seeds']} ({g.get('done', 0)}) | {sec} | "
                     f"{hrs}{budget} | "
                     f"{', '.join(g['claims'])} |")
    lines += ["", f"Total: {plan['cpu_hours']:.1f} CPU hours (2-core machine; est. = the group's epochs at the "
              "seconds per solo and combo epoch of the same experiment's kept runs at other settings, or, with none, "
              "of the kept runs training the same step: scheme, data and networks)"
              + (f"; not priced (no kept run): {', '.join(plan['unpriced'])}" if plan["unpriced"] else "") + ".",
              "", f"Spent so far on the planned groups: {plan['spent']['runs']} kept runs, "
              f"{plan['spent']['hours']:.1f} CPU hours (their recorded training seconds)."
              + _spent_all_markdown(plan.get("spent_all")),
              *_levers_markdown(plan),
              "", "The settings each claim is judged at, and why: `AT` in `vaegan_gluon/claims/catalogue.py`.",
              "", "Running it: `make claims` (`vaegan claims run [--only ID,...] [--max-hours H]`) works through "
              "these groups one run at a time, seed 0 of every group first; kill it any time and run it again to "
              "go on (SIGTERM, `pkill -TERM -f 'vaegan claims run'`, stops the run in hand after its batch and "
              "waits for it; the next start redoes that epoch, bit for bit). To keep editing the code meanwhile, "
              "run it from a worktree pinned at a commit and keep into "
              "this checkout: `git worktree add ../campaign HEAD && cd ../campaign && vaegan claims run --keep "
              "$OLDPWD/results/reference/claims_runs`; commit the kept runs, then `make board`. Run all arms of "
              "one seed on one CPU class (the board names the classes where a seed's arms differ)."]
    return "\n".join(lines) + "\n"
