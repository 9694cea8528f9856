"""Where a training step's time goes, from MXNet's own profiler, and the ceiling that sets on a ratio goal.

``python -m benchmarks --profile`` runs, after a side's timed repeats, one more repeat of the same steps
with ``mx.profiler`` on (``aggregate_stats=True``: the engine times every operator's kernel) and sorts
the operators' kernel time into classes:

- ``gemm``: the layers' GEMMs and convolutions, forward and backward (``FullyConnected``,
  ``Convolution``, ``Deconvolution`` and their ``_backward_`` operators) -- the arithmetic of the step;
- ``optimizer``: the parameter update (``adam_update``, the fused ``multi_*adam*`` updates) -- read ``w,
  g, m, v`` and write ``w, m, v`` for every parameter: memory traffic no scheduling removes;
- ``other``: every other kernel (BatchNorm, activations, losses, sums, copies, random numbers);
- ``idle``: the profiled repeat's wall time minus all kernel time: the engine waiting on Python
  (operator dispatch, autograd bookkeeping, the Trainer's loop) -- MXNet's CPU engine runs one operator
  at a time (one worker thread, ``MXNET_CPU_WORKER_NTHREADS=1``), each on all OpenMP threads, so kernel
  times add up.

**The ceiling.** A step of ours cannot take less than its ``gemm + optimizer`` kernel time with these
kernels at these shapes (MXNet 1.9.1's oneDNN GEMMs and convolutions, stock Adam's update): the
arithmetic and the optimiser's memory traffic of *our* algorithm (one VAE pass per combo step), with
zero dispatch and zero elementwise work. ``ceiling img/s = batch / (gemm + optimizer)``, and over the
reference's measured img/s of the same invocation, the largest ratio ours could show. A goal above it is
out of reach without fewer FLOPs or faster kernels -- not by removing overhead. The bound is
deliberately generous (elementwise work counted as free), so "out of reach" is a safe verdict; "within
reach" only says how much is left to overhead and elementwise kernels.

The profiler's own per-operator cost lands in ``idle`` (the profiled repeat is slower than the timed
ones); kernel times are what each kernel took. Where the profiler slows a step by more than
:data:`MAX_PROFILER_OVERHEAD` (many tiny operators: the dense configurations) its kernel times carry
its own cost and no ceiling is given. Everything here is measured, nothing typed.
"""
import json
import os
import tempfile
import time

__all__ = ["classify", "breakdown", "profiled", "profile_steps", "ceiling"]

GEMM_OPS = ("FullyConnected", "Convolution", "Deconvolution")
OPTIMIZER_OPS = ("adam_update", "adamw_update", "multi_adamw_update", "multi_mp_adamw_update",
                 "_multi_adamw_update", "_multi_mp_adamw_update", "_contrib_multi_adamw_update",
                 "_contrib_mp_adamw_update", "mp_adam_update", "_mp_adamw_update", "_adamw_update")
CLASSES = ("gemm", "optimizer", "other")


def classify(op):
    """The class (``gemm`` / ``optimizer`` / ``other``) of an operator name from the profiler."""
    base = op[len("_backward_"):] if op.startswith("_backward_") else op
    # oneDNN fused subgraphs keep the layer's name inside theirs (e.g. _sg_mkldnn_conv)
    if base in GEMM_OPS or base.startswith("_sg_mkldnn_conv") or base.startswith("_sg_mkldnn_fully_connected"):
        return "gemm"
    if base in OPTIMIZER_OPS or "adam" in base.lower():
        return "optimizer"
    return "other"


def breakdown(aggregate, wall_s, steps):
    """Per-step milliseconds by class from the profiler's aggregate JSON (``mx.profiler.dumps(format=
    "json")`` parsed): ``{"wall_ms", "gemm_ms", "optimizer_ms", "other_ms", "kernel_ms", "idle_ms",
    "calls": {class: operator calls per step}, "top": [[op, ms per step, calls per step], ...]}``."""
    ops = aggregate.get("Time", {}).get("operator", {})
    unit = aggregate.get("Unit", {}).get("Time", "ms")
    scale = {"ms": 1.0, "us": 1e-3, "s": 1e3}.get(unit, 1.0)
    per = {c: 0.0 for c in CLASSES}
    calls = {c: 0.0 for c in CLASSES}
    rows = []
    for op, st in ops.items():
        if op == "DeleteVariable":   # the engine's bookkeeping of freed arrays, not a kernel
            continue
        ms = float(st.get("Total", 0.0)) * scale / steps
        per[classify(op)] += ms
        calls[classify(op)] += float(st.get("Count", 0)) / steps
        rows.append([op, ms, float(st.get("Count", 0)) / steps])
    rows.sort(key=lambda r: -r[1])
    kernel = sum(per.values())
    wall = 1e3 * wall_s / steps
    return {"wall_ms": wall, **{f"{c}_ms": per[c] for c in CLASSES}, "kernel_ms": kernel,
            "idle_ms": max(0.0, wall - kernel), "calls": calls, "top": rows[:12]}


def profiled(fn):
    """Run ``fn()`` (then ``waitall``) with the profiler aggregating per-operator kernel times; returns
    ``(aggregate, wall seconds)``, ``aggregate`` the profiler's JSON parsed (``["Time"]["operator"]``: name ->
    ``{"Count", "Total", ...}``)."""
    import mxnet as mx
    mx.nd.waitall()
    # a file of our own: MXNet's profiler replaces its trace file, and given /dev/null it replaced the
    # system's /dev/null with a regular file (seen here; every later `> /dev/null` then failed). MXNet
    # writes the trace once more when the process exits: one small JSON per profiled process stays in
    # the temporary folder.
    fd, trace = tempfile.mkstemp(suffix=".json", prefix="vaegan-profile-")
    os.close(fd)
    mx.profiler.set_config(profile_all=True, aggregate_stats=True, filename=trace)
    mx.profiler.set_state("run")
    t = time.perf_counter()
    try:
        fn()
        mx.nd.waitall()
        wall = time.perf_counter() - t
    finally:
        mx.profiler.set_state("stop")
    aggregate = json.loads(mx.profiler.dumps(reset=True, format="json"))
    if os.path.exists(trace):
        os.remove(trace)
    return aggregate, wall


def profile_steps(run, steps):
    """Run ``run(steps)`` once with the profiler aggregating per-operator kernel times; returns
    :func:`breakdown` of that repeat."""
    aggregate, wall = profiled(lambda: run(steps))
    return breakdown(aggregate, wall, steps)


#: the profiled repeat may be at most this much slower than the timed ones for its kernel times to bound
#: anything: on the dense configurations (a)/(b), ~200 small operators a step, the profiler's own
#: per-operator cost more than doubled the step (measured: 32 ms profiled, 13.5 ms timed) and landed
#: partly inside the kernel times, which then "bounded" ours below its own measured speed
MAX_PROFILER_OVERHEAD = 1.15


def ceiling(profile, batch, reference_ips=None, goal=None, timed_s_per_step=None):
    """The ceiling of a profiled side: ``{"floor_ms", "images_per_s", "ratio", "goal_in_reach",
    "profiler_overhead"}`` (``ratio`` and ``goal_in_reach`` only with the reference's img/s; see the module
    docstring). With ``timed_s_per_step`` (the timed repeats' median) a profile more than
    :data:`MAX_PROFILER_OVERHEAD` slower bounds nothing: ``images_per_s`` is None."""
    floor = profile["gemm_ms"] + profile["optimizer_ms"]
    out = {"floor_ms": floor, "images_per_s": batch / (floor / 1e3) if floor > 0 else None}
    if timed_s_per_step:
        out["profiler_overhead"] = profile["wall_ms"] / (1e3 * timed_s_per_step)
        if out["profiler_overhead"] > MAX_PROFILER_OVERHEAD:
            out["images_per_s"] = None
    if reference_ips and out["images_per_s"]:
        out["ratio"] = out["images_per_s"] / reference_ips
        if goal is not None:
            out["goal_in_reach"] = out["ratio"] >= goal
    return out
