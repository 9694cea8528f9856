"""The claims campaign: the plan's runs as a queue, one run at a time, that survives being killed.

``vaegan claims run [--only ID,...] [--max-hours H]`` (or ``make claims``) builds the queue from the
board's plan (:mod:`vaegan_gluon.claims.plan`): every group's seeds, seed 0 of every group first, then
seed 1, ... so that an interrupted campaign leaves balanced groups. A run is *done* when its small
outputs (config, metrics, statistics) are in ``results/reference/claims_runs/`` with the campaign's
numerics fingerprint (``--keep DIR`` for another folder: a campaign run from a worktree pinned at a commit
keeps into the main checkout's, so moving the worktree cannot reset a kept run): that folder is in git, so
progress survives a reboot and a new machine once committed. A run
stopped mid-way (kill -9, the session ending) resumes from its last epoch checkpoint in
``results/campaign/runs/`` when the same machine runs the queue again, and restarts from epoch 0 on a
new machine. A lock on ``results/campaign/`` keeps two campaigns from running at once; the campaign
refuses to start when the code's fingerprint differs from the one its queue was made with (one code
version per claim), unless told to restart the queue.
"""
import json
import os
import shutil
import time

from .. import runlock
from ..claims import build_claims
from ..claims.board import collect_runs, keep_run
from ..claims.plan import make_plan
from ..train.fingerprint import canonical, fingerprint
from .config import get_config
from .runner import run_experiment

KEPT = os.path.join("results", "reference", "claims_runs")
WORK = os.path.join("results", "campaign")


def make_queue(plan, only=None):
    """The runs of ``plan``'s groups as ``[{"experiment", "scale", "seed", "where"}]``, seed-major."""
    groups = [g for g in plan["groups"] if not only or set(g["claims"]) & set(only)]
    queue = []
    for seed in range(max((g["seeds"] for g in groups), default=0)):
        for g in groups:
            if seed < g["seeds"]:
                queue.append({"experiment": g["experiment"], "scale": g["scale"], "seed": seed, "where": g["where"],
                              "run_seconds": g["run_seconds"]})
    return queue


def _same_run(run, spec):
    if run["name"] != spec["experiment"] or run["scale"] != spec["scale"] or run["seed"] != spec["seed"]:
        return False
    from ..claims.gates import get_path
    return all(get_path(run["config"], k) == v for k, v in spec["where"].items())


def pending(queue, fp, kept=KEPT):
    """The specs of ``queue`` with no kept run made with fingerprint ``fp``."""
    runs = collect_runs(kept) if os.path.isdir(kept) else []
    done = [r for r in runs if r["fingerprint"] == fp]
    return [s for s in queue if not any(_same_run(r, s) for r in done)]


def keep(run_dir, kept=KEPT):
    """Copy a finished run's small outputs into ``kept`` (:func:`vaegan_gluon.claims.board.keep_run`)."""
    return keep_run(run_dir, kept)


def run_campaign(only=None, max_hours=None, restart=False, board=None, work=WORK, kept=KEPT, log=print,
                 ctx="cpu"):
    """Work through the queue (module docstring); returns the number of runs finished now."""
    board = board or os.path.join("results", "reference", "claims.json")
    os.makedirs(work, exist_ok=True)
    state_path = os.path.join(work, "queue.json")
    fp = canonical(fingerprint()["fingerprint"])     # a proven-equivalent code version continues the queue
    with runlock.hold(work, command="vaegan claims run"):
        state = None
        if os.path.exists(state_path) and not restart:
            with open(state_path) as f:
                state = json.load(f)
            if state["fingerprint"] != fp:
                raise RuntimeError(f"the code changed since this campaign's queue was made (numerics fingerprint "
                                   f"{state['fingerprint']} -> {fp}): finish it with that code, or start a new "
                                   f"queue with `vaegan claims run --restart` (every group is then re-run)")
        if state is None:
            with open(board) as f:
                table = json.load(f)
            state = {"fingerprint": fp, "made": time.strftime("%Y-%m-%d %H:%M:%S"), "only": only,
                     "queue": make_queue(make_plan(table, kept=kept, config_of=get_config), only)}
            with open(state_path, "w") as f:
                json.dump(state, f, indent=1)
        todo = pending(state["queue"], fp, kept)
        hours = sum((s["run_seconds"] or 0) for s in todo) / 3600
        log(f"campaign: {len(state['queue']) - len(todo)} of {len(state['queue'])} runs done; {len(todo)} to go "
            f"(~{hours:.1f} CPU hours at the kept runs' speed); fingerprint {fp}")
        start, finished = time.time(), 0
        for i, spec in enumerate(todo):
            if max_hours is not None and (time.time() - start) / 3600 >= max_hours:
                log(f"campaign: stopping after {max_hours} h as asked; run it again to continue")
                break
            overrides = {**spec["where"], "train.seed": spec["seed"]}
            log(f"campaign: [{i + 1}/{len(todo)}] {spec['experiment']} {spec['scale']} seed {spec['seed']} "
                + " ".join(f"{k}={v}" for k, v in spec["where"].items()))
            result = run_experiment(spec["experiment"], spec["scale"], overrides=overrides, resume=True, ctx=ctx,
                                    results_root=os.path.join(work, "runs"), progress=False, isolate=True)
            log(f"campaign: kept {keep(result.run_dir, kept)}")
            shutil.rmtree(os.path.join(result.run_dir, "checkpoints"), ignore_errors=True)
            finished += 1
        if finished == len(todo):
            log("campaign: queue finished; regenerate the board: vaegan claims results/reference/claims_runs "
                "--out results/reference --readme README.md")
    return finished


def regenerate(kept=KEPT):
    """The board over the kept runs (what a finished campaign feeds)."""
    return build_claims(kept, config_of=get_config)
