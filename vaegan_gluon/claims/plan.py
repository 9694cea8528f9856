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


# The settings the evidence issue asks each family to be re-run at (stated before the runs; the campaign
# adopts them when the catalogue's medium scale is switched to them, after the code that trains them is
# final): (experiment prefixes, {setting: value}, why). Epoch counts are (solo, combo).
EVIDENCE = [
    (("anime-conv-vae-", "anime-conv-vae1024-", "anime-deepconv"), {"solo": 30, "combo": 15},
     "the ResNet reference failed the hair bar at its switch after 20 solo epochs (seeds 0, 2); the sweeps' "
     "arms got 5 combo epochs, 0.6 % of the study's adversarial steps: >= 15 combo epochs"),
    (("anime-conv-vae",), {"solo": 45, "combo": 0}, "the VAE alone, as long as the runs it is compared with"),
    (("anime-dense-vae-logreg",), {"solo": 95, "combo": 25},
     "its discriminator stayed at chance through 5 combo epochs: >= 25 combo epochs"),
    (("anime-dense-vae",), {"solo": 120, "combo": 0}, "the dense VAE alone, as long as its pair"),
    (("faces-aegan-", "faces-ae"), {"solo": 0, "combo": 150},
     "the study's AE-GAN runs are ~12,600 steps (here 375 at 25 epochs): >= 150 epochs"),
]
DECAY_EVIDENCE = ({"solo": 30, "combo": 40}, "decay every 5 of 40 combo epochs: 8 decays (the study: every 25 of "
                                             "100-200), not 4 decays in 5 epochs that repeat the PBP 0.8 arm")


def evidence_settings(experiment, where):
    """The (solo, combo) epochs and the reason the evidence issue asks ``experiment`` to be run at."""
    if "train.pbp_decay" in where:
        return DECAY_EVIDENCE
    if "train.n_solo_epochs" in where:          # solo -> combo: equal quality for less time, at 20 epochs
        solo = 10 if where["train.n_solo_epochs"] else 0
        return ({"solo": solo, "combo": 20 - solo}, "solo -> combo at 20 epochs (10 + 10 against 20 combo): "
                "long enough for both arms to pass the bar, timed on one machine, interleaved")
    for prefixes, epochs, why in EVIDENCE:
        if any(experiment == p or (p.endswith("-") and experiment.startswith(p)) for p in prefixes):
            return epochs, why
    return None


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


def make_plan(table, default_seeds=DEFAULT_SEEDS, max_seeds=MAX_SEEDS):
    """``{"claims": [...], "groups": [...], "cpu_hours": total}`` for a board (see the module docstring)."""
    claims, groups = [], {}
    rows = sorted(table["claims"], key=lambda c: ORDER.index(c["source"][:3]) if c["source"][:3] in ORDER else 9)
    for c in rows:
        if c["verdict"] == "untested" and not c["runs"]["ours"]:
            claims.append({"id": c["id"], "verdict": c["verdict"], "seeds": None, "note": c.get("reason")})
            continue
        t = c.get("test") or {}
        need, note = t.get("seeds_needed"), None
        if c["verdict"] == "invalid":
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
        need = max(need, MIN_SEEDS)
        claims.append({"id": c["id"], "verdict": c["verdict"], "seeds": need, "note": note})
        for side in ("ours", "reference"):
            sel = c["selection"][side]
            g = groups.setdefault(_key(sel), {"selection": sel, "seeds": 0, "claims": [], "runs": c["runs"][side],
                                              "scale": c["scale"]})
            g["seeds"] = max(g["seeds"], need)
            g["claims"].append(c["id"])
    out_groups = []
    for g in groups.values():
        sec = _seconds(g["runs"])
        where = g["selection"].get("where") or {}
        ev = evidence_settings(g["selection"]["experiment"], where)
        ev_sec = None
        if ev:
            per = _epoch_seconds(g["runs"])
            solo, combo = per["solo"] or per["combo"], per["combo"] or per["solo"]
            if solo is not None:
                ev_sec = ev[0]["solo"] * solo + ev[0]["combo"] * combo
        out_groups.append({"experiment": g["selection"]["experiment"], "where": where,
                           "scale": g["scale"], "seeds": g["seeds"], "run_seconds": sec,
                           "cpu_hours": None if sec is None else g["seeds"] * sec / 3600, "claims": g["claims"],
                           "evidence": None if not ev else {"epochs": ev[0], "why": ev[1], "run_seconds": ev_sec,
                                                             "cpu_hours": None if ev_sec is None else
                                                             g["seeds"] * ev_sec / 3600}})
    total = sum(g["cpu_hours"] or 0 for g in out_groups)
    ev_total = sum((g["evidence"] or {}).get("cpu_hours") or g["cpu_hours"] or 0 for g in out_groups)
    return {"claims": claims, "groups": out_groups, "cpu_hours": total, "evidence_cpu_hours": ev_total,
            "unpriced": [g["experiment"] for g in out_groups if g["cpu_hours"] is None]}


HEADER = ("# The evidence plan\n\nGenerated by `vaegan claims plan --out docs/claims-plan.md` from "
          "`results/reference/claims.json` (do not edit). Per claim, the seeds per group that bring its minimum "
          "detectable effect (80 % power, alpha 0.05) under its margin δ, from the kept runs' standard deviations; "
          "per group, the CPU hours at the kept runs' recorded seconds. How: `vaegan_gluon/claims/plan.py`.\n\n")


def plan_markdown(plan):
    lines = [HEADER + "| claim | verdict now | seeds per group | note |", "|---|---|---|---|"]
    for c in plan["claims"]:
        lines.append(f"| `{c['id']}` | {c['verdict']} | {c['seeds'] or '–'} | {c['note'] or ''} |")
    lines += ["", "| group (experiment, settings) | scale | seeds | CPU s a run | CPU hours | at the evidence settings: "
              "solo + combo epochs, CPU s a run, CPU hours | claims |", "|---|---|---|---|---|---|---|"]
    cum = 0.0
    for g in plan["groups"]:
        where = ", ".join(f"{k}={v}" for k, v in g["where"].items())
        sec = "–" if g["run_seconds"] is None else f"{g['run_seconds']:,.0f}"
        hrs = "–" if g["cpu_hours"] is None else f"{g['cpu_hours']:.1f}"
        ev = g.get("evidence")
        evc = "as now" if not ev else (f"{ev['epochs']['solo']} + {ev['epochs']['combo']}, "
                                        + ("–" if ev["run_seconds"] is None else
                                           f"{ev['run_seconds']:,.0f}, {ev['cpu_hours']:.1f}"))
        cum += (ev or {}).get("cpu_hours") or g["cpu_hours"] or 0
        budget = "" if cum <= BUDGET_HOURS else " (past the budget)"
        lines.append(f"| {g['experiment']} {where} | {g['scale']} | {g['seeds']} | {sec} | {hrs} | {evc}; "
                     f"cumulative {cum:.1f}{budget} | {', '.join(g['claims'])} |")
    whys = {}
    for g in plan["groups"]:
        if g.get("evidence"):
            whys.setdefault(g["evidence"]["why"], []).append(g["experiment"])
    lines += ["", f"Total: {plan['cpu_hours']:.1f} CPU hours at today's settings, "
              f"{plan.get('evidence_cpu_hours', 0):.1f} at the evidence settings (2-core machine, the kept runs' "
              "recorded seconds per solo and combo epoch)"
              + (f"; not priced (no kept run): {', '.join(plan['unpriced'])}" if plan["unpriced"] else "") + ".",
              "", "Why the evidence settings:", ""]
    lines += [f"- {', '.join(sorted(set(exps)))}: {why}" for why, exps in whys.items()]
    return "\n".join(lines) + "\n"
