"""Throughput / memory benchmarks of the training step, against the original study's step.

``python -m benchmarks [--configs a,b,...] [--sides ours,ours_multiadam,reference] [--repeats 3]
[--warmup 1] [--steps N] [--quick] [--optimizer adam|stockadam|multiadam] [--render JSON] [--profile]``

For every config (a)-(f) each side is measured in its **own subprocess** (so the peak RSS is that
side's, of that config):

- **ours**: the package's real path - a :class:`vaegan_gluon.train.Trainer` is built and prepared
  (hybridized), then a thin loop calls ``trainer.scheme.step`` on batches already on the device,
  accumulating the statistics on the device as the Trainer does; ``nd.waitall()`` ends each repeat.
  ``--optimizer`` sets ``TrainConfig.optimizer`` for it.
- **ours_<lever>** (``ours_multiadam``: the fused optimiser; ``ours_pooled``: hybridized graphs without
  ``static_alloc``, drawing on MXNet's shared memory pool; ``ours_stockadam``: MXNet's own Adam kernel;
  ``ours_spinwait``: OpenMP's default spin-wait instead of the package's ``OMP_WAIT_POLICY=PASSIVE``;
  ``ours_pertensor``: the vectorised Adam kernel called once per tensor, ``VAEGAN_ADAM_MULTI=0``, instead of
  one multi-tensor call per step; ``ours_tempcopy4``: MXNet's four temporary workspaces per CPU instead of the
  package's ``MXNET_CPU_TEMP_COPY=1``; ``ours_stockbce``: MXNet's operators for the sigmoid-BCE terms and the
  sigmoid, ``VAEGAN_FUSED_BCE=0``, instead of the package's fused ones):
  ours with that one setting changed.
- **reference**: :class:`benchmarks.reference.ReferenceStep` - the original study's step, operation
  for operation (see that module), in the original's environment: the ``OMP_WAIT_POLICY`` and
  ``MXNET_CPU_TEMP_COPY`` the user had (unset: OpenMP's and MXNet's defaults), not the package's;
  ``OMP_NUM_THREADS`` as for ours.

Per side: ``warmup`` untimed repeats, then ``repeats`` timed repeats of ``steps`` steps (batch 64);
images/s median/min/max, achieved GFLOP/s (analytic FLOPs, :mod:`benchmarks.flops`), the child's
peak RSS (its own ``VmHWM``: :func:`peak_rss_mb`) and the load average. The parent first measures the machine
(:mod:`benchmarks.machine`: GEMM GFLOP/s, memory bandwidth) and gives each side's % of the GEMM rate.
The headline is ours / reference against the issue's ratio goals. Results:
``benchmarks/results/<timestamp>.json`` and a markdown table printed and written to
``benchmarks/results/latest.md`` (``--render JSON`` re-renders a saved run).
"""
import argparse
import datetime
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
RESULTS = os.path.join(HERE, "results")
BATCH = 64

MNIST = (1, 28, 28)
FACES = (3, 64, 64)

# name -> description, vae (name, kwargs), disc (name, kwargs) or None, image shape, goal = ours / reference
#         ratio (issue 16), gemm_goal = fraction of the machine's GEMM GFLOP/s, default steps per repeat,
#         rss goal MB
CONFIGS = {
    "a": dict(desc="DenseVAE(5,3,400) + DenseLogReg(1,200) combo, 1x28x28",
              vae=("DenseVAE", dict(n_latent=5, n_hidden_layers=3, n_hidden_units=400)),
              disc=("DenseLogReg", dict(n_hidden_layers=1, n_hidden_units=200)),
              shape=MNIST, goal=4.0, steps=60),
    "b": dict(desc="DenseVAE(5,3,400) solo, 1x28x28",
              vae=("DenseVAE", dict(n_latent=5, n_hidden_layers=3, n_hidden_units=400)),
              disc=None, shape=MNIST, goal=2.0, steps=100),
    "c": dict(desc="ConvVAE(512,32) solo, 3x64x64",
              vae=("ConvVAE", dict(n_latent=512, base_channels=32)),
              disc=None, shape=FACES, goal=1.4, gemm_goal=0.7, steps=3),
    "d": dict(desc="ConvVAE(512,32) + ResNetDisc combo, 3x64x64",
              vae=("ConvVAE", dict(n_latent=512, base_channels=32)),
              disc=("ResNetDisc", {}), shape=FACES, goal=2.5, steps=2),
    "e": dict(desc="ConvVAE(512,32) + ConvDisc(32) combo, 3x64x64",
              vae=("ConvVAE", dict(n_latent=512, base_channels=32)),
              disc=("ConvDisc", dict(base_channels=32)), shape=FACES, goal=3.0, steps=3),
    "f": dict(desc="DeepConvVAE(1024,32) + DeepConvDisc(64) combo, 3x64x64",
              vae=("DeepConvVAE", dict(n_latent=1024, base_channels=32)),
              disc=("DeepConvDisc", dict(base_channels=64)), shape=FACES, goal=2.5, steps=2,
              rss_goal_mb=8192),
}
FACES32 = (3, 32, 32)
#: the claims campaign's medium experiments (issue 35): one config per family, the models and sizes of
#: ``vaegan_gluon.experiments.get_config(experiment, "medium")`` (tests/test_bench_campaign.py checks they
#: agree). ``scheme``/``extra``: the TrainConfig of that experiment's step; ``phase``: the step measured
#: (combo, or the solo epochs that make most of a run); ``reference=False``: the original study has no
#: such step (Larsen VAE/GAN, AE-GAN), only ours and PyTorch are measured. Goals: issue 35 (>= 4x the
#: original combo, >= 2x solo; >= 1.5x PyTorch eager on the same arithmetic).
CAMPAIGN = {
    "g": dict(experiment="anime-conv-vae-resnet", desc="ConvVAE(128,16) + ResNetDisc combo, 3x32x32",
              vae=("ConvVAE", dict(n_latent=128, base_channels=16)), disc=("ResNetDisc", {}),
              shape=FACES32, goal=4.0, steps=1, disc_weight=10.0),
    "h": dict(experiment="anime-conv-vae-convdisc", desc="ConvVAE(128,16) + ConvDisc(32) combo, 3x32x32",
              vae=("ConvVAE", dict(n_latent=128, base_channels=16)), disc=("ConvDisc", dict(base_channels=32)),
              shape=FACES32, goal=4.0, steps=2, disc_weight=10.0),
    "i": dict(experiment="anime-conv-vae1024-convdisc64", desc="ConvVAE(256,16) + ConvDisc(64) combo, 3x32x32",
              vae=("ConvVAE", dict(n_latent=256, base_channels=16)), disc=("ConvDisc", dict(base_channels=64)),
              shape=FACES32, goal=4.0, steps=2, disc_weight=10.0),
    "j": dict(experiment="anime-deepconv", desc="DeepConvVAE(256,16) + DeepConvDisc(32) combo, 3x32x32",
              vae=("DeepConvVAE", dict(n_latent=256, base_channels=16)),
              disc=("DeepConvDisc", dict(base_channels=32)), shape=FACES32, goal=4.0, steps=2,
              disc_weight=10.0, lr=2e-4),
    "k": dict(experiment="anime-dense-vae-logreg", desc="DenseVAE(128,3,512) + DenseLogReg(1,1024) combo, 3x32x32",
              vae=("DenseVAE", dict(n_latent=128, n_hidden_layers=3, n_hidden_units=512)),
              disc=("DenseLogReg", dict(n_hidden_layers=1, n_hidden_units=1024)), shape=FACES32, goal=4.0,
              steps=6, disc_weight=10.0),
    "l": dict(experiment="faces-aegan-constant", desc="AE(100,32) + ConvDisc(32) AE-GAN combo, batch 256, 3x32x32",
              vae=("AE", dict(n_latent=100, base_channels=32)), disc=("ConvDisc", dict(base_channels=32)),
              shape=FACES32, goal=None, steps=1, batch=256, scheme="aegan", lr=2e-4, reference=False,
              extra={"beta_policy": "constant", "alpha": 1.0, "beta": 0.005}),
    "m": dict(experiment="faces-larsen-vaegan", desc="Larsen ConvVAE(128,16) + DeepConvDisc(16, features 4), 3x32x32",
              vae=("ConvVAE", dict(n_latent=128, base_channels=16)),
              disc=("DeepConvDisc", dict(base_channels=16, feature_layer=4)), shape=FACES32, goal=None, steps=2,
              scheme="larsen", lr=3e-4, extra={"gamma": 1e-6}, reference=False),
    "n": dict(experiment="mnist-larsen-vaegan", desc="Larsen ConvVAE(16,32) + ConvDisc(32, features 1), 1x28x28",
              vae=("ConvVAE", dict(n_latent=16, base_channels=32)),
              disc=("ConvDisc", dict(base_channels=32, feature_layer=1)), shape=MNIST, goal=None, steps=2,
              scheme="larsen", lr=3e-4, extra={"gamma": 1000.0}, reference=False),
    "o": dict(experiment="anime-conv-vae-resnet", desc="ConvVAE(128,16) solo (20 of 25 epochs of g, h), 3x32x32",
              vae=("ConvVAE", dict(n_latent=128, base_channels=16)), disc=None, shape=FACES32, goal=2.0, steps=3),
    "p": dict(experiment="anime-dense-vae-logreg", desc="DenseVAE(128,3,512) solo (95 of 100 epochs of k), 3x32x32",
              vae=("DenseVAE", dict(n_latent=128, n_hidden_layers=3, n_hidden_units=512)), disc=None,
              shape=FACES32, goal=2.0, steps=10),
}
for _name, _cfg in CAMPAIGN.items():   # training images a medium epoch (faces 3,712; mnist-5k 4,500)
    _cfg.setdefault("n_train", 4500 if _cfg["experiment"].startswith("mnist") else 3712)
CONFIGS.update(CAMPAIGN)
SIDES = ("ours", "reference")
#: the PyTorch sides (benchmarks/torch_side.py, run under --torch-python / VAEGAN_TORCH_PYTHON)
TORCH_SIDES = ("torch", "torch_compile")
#: issue 35: ours >= 1.5x PyTorch eager on the same arithmetic
TORCH_GOAL = 1.5
TORCH_LABEL = {"torch": "PyTorch eager", "torch_compile": "PyTorch compile"}
OPTIMIZERS = ("adam", "stockadam")   # vaegan_gluon.train.config.OPTIMIZERS (not imported: no mxnet here)
#: levers measured alone as side ``ours_<name>``: the TrainConfig settings each one changes
#: (``env``: environment of the child instead, e.g. the OpenMP wait policy the package sets on import)
#: (``env``: the child's environment instead: ``revert`` the package's defaults of those variables to the
#: user's own, or ``set`` variables)
LEVERS = {**{o: {"optimizer": o} for o in OPTIMIZERS}, "pooled": {"static_alloc": False},
          "spinwait": {"env": {"revert": ("OMP_WAIT_POLICY",)}},
          "tempcopy4": {"env": {"revert": ("MXNET_CPU_TEMP_COPY",)}},
          "pertensor": {"env": {"set": {"VAEGAN_ADAM_MULTI": "0"}}},
          "stockbce": {"env": {"set": {"VAEGAN_FUSED_BCE": "0"}}},
          # the Larsen VAE/GAN's D pass stopped at D's input (train.extra.disc_pass); its configs only
          "prunedisc": {"extra": {"disc_pass": "pruned"}, "schemes": ("larsen",),
                        "setting": {"train.extra.disc_pass": "pruned"}}}
#: a lever with a ``setting`` is a run setting a campaign could adopt (the others revert a package default):
#: ``--render JSON --speed-out FILE`` writes each one's measured gain per experiment for the claims plan
#: the variables importing vaegan_gluon sets unless the user did, each with the package variable that
#: chooses its value (empty: leave it unset) -- see vaegan_gluon/__init__.py
PACKAGE_ENV = {"OMP_WAIT_POLICY": "VAEGAN_OMP_WAIT_POLICY", "MXNET_CPU_TEMP_COPY": "VAEGAN_CPU_TEMP_COPY"}
#: the user's own values of them, read before anything here imports vaegan_gluon
USER_ENV = {k: os.environ.get(k) for k in PACKAGE_ENV}


def batch_of(cfg):
    """The batch size of a config (64 unless it says, e.g. the AE-GAN's 256)."""
    return int(cfg.get("batch", BATCH))


def has_reference(cfg):
    """Whether the original study had this step (not the Larsen VAE/GAN nor the AE-GAN)."""
    return cfg.get("reference", True)


# ---------------------------------------------------------------------------------------------- child
def _build(cfg):
    from vaegan_gluon.models import get_model
    vae = get_model(cfg["vae"][0], image_shape=cfg["shape"], **cfg["vae"][1])
    disc = get_model(cfg["disc"][0], **cfg["disc"][1]) if cfg["disc"] else None
    return vae, disc


def step_flops(cfg, side):
    """Analytic FLOPs of one step (batch 64) of ``side`` for config ``cfg``: (total, vae fwd, disc fwd)."""
    from vaegan_gluon.models import get_model
    from .flops import FWD_BWD, forward_flops
    shape = (batch_of(cfg),) + tuple(cfg["shape"])
    vae_f = forward_flops(lambda: get_model(cfg["vae"][0], image_shape=cfg["shape"], **cfg["vae"][1]), shape)
    disc_f = forward_flops(lambda: get_model(cfg["disc"][0], **cfg["disc"][1]), shape) if cfg["disc"] else 0
    if cfg["disc"] is None:
        return FWD_BWD * vae_f, vae_f, disc_f
    if cfg.get("scheme") == "larsen":
        # encoder on the batch, decoder on 2x (z and a prior draw), D on the batch and on 2x: forward F;
        # ours runs three full backward passes (D's, the encoder's, the decoder's loss), each 2x forward
        # of what it reaches: all of F for D's loss, F less D(real) for the encoder's and decoder's
        # (torch_side.py's autograd.grad reaches less: this counts ours)
        enc_f = forward_flops(lambda: get_model(cfg["vae"][0], image_shape=cfg["shape"], **cfg["vae"][1]).encoder,
                              shape)
        fwd = enc_f + 2 * (vae_f - enc_f) + 3 * disc_f
        return fwd + 2 * fwd + 4 * (fwd - disc_f), vae_f, disc_f
    if side != "reference":
        # VAE once; D(x), D(x_hat) for D's update; D(x_hat) without D's weight grads (2x fwd: no_parameter_gradients)
        return FWD_BWD * (vae_f + 2 * disc_f) + 2 * disc_f, vae_f, disc_f
    return FWD_BWD * (3 * vae_f + 3 * disc_f), vae_f, disc_f   # VAE in D's graph + two for the split update


def step_api():
    """``(StatSums, batch_arg)`` of the package at hand: the step's batch argument is ``{"x": [x]}`` where
    the training code's fast wing (``vaegan_gluon.fast``) exists, ``[x]`` before it."""
    import vaegan_gluon
    if os.path.isdir(os.path.join(os.path.dirname(vaegan_gluon.__file__), "fast")):
        from vaegan_gluon.fast.stat_sums import StatSums
        return StatSums, lambda x: {"x": [x]}
    from vaegan_gluon.train.stat_sums import StatSums
    return StatSums, lambda x: [x]


def lever_config(config, lever):
    """A TrainConfig dict with a lever (:data:`LEVERS`) applied alone: its settings, its scheme settings joined to
    the config's ``extra``; ``env``, ``schemes`` and ``setting`` are the parent's (environment, where it applies,
    its name as a run setting)."""
    config = dict(config)
    for k, v in (lever or {}).items():
        if k not in ("env", "schemes", "setting"):
            config[k] = dict(config.get("extra") or {}, **v) if k == "extra" else v
    return config


def _ours(cfg, batches, opts):
    from mxnet import nd
    from vaegan_gluon.train import Trainer
    StatSums, batch_arg = step_api()
    vae, disc = _build(cfg)
    phase = "combo" if disc is not None else "solo"
    config = {"n_epochs": 1, "batch_size": batch_of(cfg), "seed": 0}
    for key in ("scheme", "extra", "lr"):    # the campaign configs' own step (CAMPAIGN)
        if key in cfg:
            config[key] = cfg[key]
    if opts.get("optimizer", "package") != "package":
        config["optimizer"] = opts["optimizer"]          # TrainConfig.optimizer
    config = lever_config(config, opts.get("lever"))
    trainer = Trainer(vae, disc, config=config, progress=False)
    trainer._prepare()
    weights = {"pbp_weight": 1.0, "disc_weight": cfg.get("disc_weight", 1.0), "adv_on": phase == "combo"}
    step = trainer.scheme.step
    sums = StatSums()   # as the Trainer accumulates them

    def run(n_steps):
        for i in range(n_steps):
            sums.add(step(batch_arg(batches[i % len(batches)]), phase, weights))
        nd.waitall()
        return sums.read()   # one host read per repeat
    run.trainer = trainer   # for inspection (tests/test_bench_profile.py)
    return run, {"optimizer": type(next(iter(trainer.scheme.optimizers.values()))._optimizer).__name__}


def _reference(cfg, batches, opts):
    from mxnet import nd
    import mxnet as mx
    from .reference import ReferenceStep
    vae, disc = _build(cfg)
    for net in (vae, disc):
        if net is not None:
            net.initialize(mx.init.Xavier())
            net(nd.zeros((2,) + tuple(cfg["shape"])))
    ref = ReferenceStep(vae, disc)   # the original's step: its ops, its host reads, 3 VAE passes per combo step
    phase = "combo" if disc is not None else "solo"
    last = {}

    def run(n_steps):
        for i in range(n_steps):
            last.update(ref.step(batches[i % len(batches)], phase))
        nd.waitall()
        return dict(last)
    return run, {"optimizer": "Adam", "split_backward": ref.split}


def peak_rss_mb():
    """This process's own peak resident set, in MB: ``VmHWM`` of ``/proc/self/status``.

    Not ``ru_maxrss``: on Linux it survives ``exec`` and starts at the parent's RSS when it forked, so a
    child of a 900 MB parent reported >= 900 MB whatever it did (every (a)/(b) side read 904 MB, and
    (f)'s sides carried the parent's FLOP-counting models). ``ru_maxrss`` only where there is no /proc."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except (OSError, ValueError, IndexError):
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def run_child(name, side, steps, repeats, warmup, opts):
    """Measure one side of one config in this process; returns a JSON-able dict."""
    import numpy as np
    import vaegan_gluon  # noqa: F401  (sets OMP_NUM_THREADS before mxnet)
    import mxnet as mx
    from mxnet import nd
    cfg = CONFIGS[name]
    if opts.get("bf16"):
        from mxnet.contrib import amp
        amp.init(target_dtype="bfloat16")
    t0 = time.time()
    mx.random.seed(0)
    rs = np.random.RandomState(0)
    batches = [nd.array(rs.rand(batch_of(cfg), *cfg["shape"]).astype(np.float32)) for _ in range(4)]
    if side.startswith("ours_"):              # a lever measured alone, e.g. ours_multiadam
        opts = dict(opts, lever=LEVERS[side.split("_", 1)[1]])
    run, info = (_reference if side == "reference" else _ours)(cfg, batches, opts)
    build_s = time.time() - t0
    for _ in range(warmup):
        run(steps)
    times, last = [], {}
    load_start = os.getloadavg()
    for _ in range(repeats):
        t = time.perf_counter()
        last = run(steps)
        times.append(time.perf_counter() - t)
    ips = [steps * batch_of(cfg) / t for t in times]
    med = statistics.median(ips)
    if opts.get("profile"):   # one more repeat under MXNet's profiler: where the time goes (benchmarks/profile.py)
        from .profile import profile_steps
        info = dict(info, profile=profile_steps(run, steps))
    return dict(info, images_per_s={"median": med, "min": min(ips), "max": max(ips), "all": ips}, batch=batch_of(cfg),
                seconds_per_step=statistics.median(times) / steps, steps=steps, repeats=repeats,
                warmup=warmup, build_seconds=build_s,
                peak_rss_mb=peak_rss_mb(),
                final_stats={k: float(v) for k, v in last.items()},
                omp_num_threads=os.environ.get("OMP_NUM_THREADS"),
                omp_wait_policy=os.environ.get("OMP_WAIT_POLICY"),
                mxnet_cpu_temp_copy=os.environ.get("MXNET_CPU_TEMP_COPY"), bf16=bool(opts.get("bf16")),
                loadavg_start=load_start, loadavg_end=os.getloadavg())


# --------------------------------------------------------------------------------------------- parent
_FLOPS = {}


def _step_flops_child(name, side):
    """:func:`step_flops` of config ``name`` in a fresh child (cached per config and side kind): counting runs
    the config's models forward, and MXNet 1.9.1 + oneDNN segfaults on some models after others in one
    process (a ConvVAE(256, 16) forward after a ResNetDisc's: config i after g killed the parent twice)."""
    key = (name, "reference" if side == "reference" else "ours")
    if key not in _FLOPS:
        p = subprocess.run([sys.executable, "-m", "benchmarks", "--_flops", f"{name}:{key[1]}"], cwd=ROOT,
                           env=child_env("ours"), capture_output=True, text=True, check=True)
        _FLOPS[key] = json.loads(p.stdout.strip().splitlines()[-1])
    return _FLOPS[key]


def add_flops(name, side, out):
    """GFLOP/step and GFLOP/s of a child's result, counted in another child (fresh models: kept out of the
    measured child's RSS, and out of this process, see :func:`_step_flops_child`)."""
    flops, vae_f, disc_f = _step_flops_child(name, side)
    out.update(gflop_per_step=flops / 1e9,
               gflop_per_s=flops / 1e9 * out["images_per_s"]["median"] / batch_of(CONFIGS[name]),
               vae_forward_gflop=vae_f / 1e9, disc_forward_gflop=disc_f / 1e9)
    return out


def child_env(side):
    """The environment of one side's subprocess: the reference gets the original's environment, i.e. the
    user's own ``OMP_WAIT_POLICY`` and ``MXNET_CPU_TEMP_COPY`` or none, not the package's defaults
    (:data:`PACKAGE_ENV`); a lever (``ours_spinwait``, ``ours_tempcopy4``) reverts only its own variable."""
    env = dict(os.environ)
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    lever = (LEVERS.get(side[5:], {}) if side.startswith("ours_") else {}).get("env") or {}
    revert = tuple(PACKAGE_ENV) if side == "reference" else lever.get("revert", ())
    for var in revert:
        env.pop(var, None)
        if USER_ENV.get(var) is not None:
            env[var] = USER_ENV[var]
        env[PACKAGE_ENV[var]] = ""     # and the child's own import of vaegan_gluon sets none
    env.update(lever.get("set", {}))
    return env


def _spawn(name, side, steps, repeats, warmup, opts, timeout):
    env = child_env(side)
    cmd = [sys.executable, "-m", "benchmarks", "--_child", f"{name}:{side}", "--steps", str(steps),
           "--repeats", str(repeats), "--warmup", str(warmup), "--optimizer", opts["optimizer"]]
    if opts.get("bf16"):
        cmd.append("--bf16")
    if opts.get("profile"):
        cmd.append("--profile")
    t0 = time.time()
    try:
        p = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout} s"}
    if p.returncode != 0:
        tail = (p.stderr or "").strip().splitlines()[-6:]
        why = {-11: " (segfault)", -9: " (killed: out of memory?)"}.get(p.returncode, "")
        return {"error": f"exit code {p.returncode}{why}",
                "stderr_tail": tail, "wall_seconds": time.time() - t0}
    for line in reversed(p.stdout.strip().splitlines()):
        if line.startswith("{"):
            out = json.loads(line)
            out["wall_seconds"] = time.time() - t0
            return add_flops(name, side, out)
    return {"error": "no result line", "stdout_tail": p.stdout.strip().splitlines()[-6:]}


def torch_python(arg=None):
    """The Python that runs the PyTorch sides: ``--torch-python``, else ``VAEGAN_TORCH_PYTHON``, else None."""
    return arg or os.environ.get("VAEGAN_TORCH_PYTHON") or None


def _export(name, folder, timeout):
    """The config's bundle for the PyTorch side (benchmarks/torch_export.py), written by an MXNet child
    (with ours' one-step check: check.npz, ours.npz); returns None or an error dict."""
    if os.path.exists(os.path.join(folder, "spec.json")):
        return None
    cmd = [sys.executable, "-m", "benchmarks", "--_export", f"{name}:{folder}"]
    try:
        p = subprocess.run(cmd, cwd=ROOT, env=child_env("ours"), capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"export timed out after {timeout} s"}
    if p.returncode != 0:
        return {"error": f"export: exit code {p.returncode}", "stderr_tail": (p.stderr or "").strip().splitlines()[-6:]}
    return None


def _spawn_torch(name, side, steps, repeats, warmup, python, folder, timeout):
    """One PyTorch side (``torch``: eager, ``torch_compile``) of config ``name`` under ``python``, in ours'
    environment (the package's ``OMP_WAIT_POLICY=PASSIVE`` included: on this shared 2-core machine
    PyTorch's OpenMP threads spin-waiting for descheduled peers made its step ~5x slower, 4.05 against
    0.82 s a step of (h) at load 7-9)."""
    if not python:
        return {"error": "no torch python (--torch-python / VAEGAN_TORCH_PYTHON)"}
    err = _export(name, folder, timeout)
    if err:
        return err
    cmd = [python, "-m", "benchmarks.torch_side", "--bundle", folder, "--steps", str(steps), "--repeats",
           str(repeats), "--warmup", str(warmup)] + (["--compile"] if side == "torch_compile" else [])
    t0 = time.time()
    try:
        p = subprocess.run(cmd, cwd=ROOT, env=child_env("ours"), capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout} s"}
    if p.returncode != 0:
        return {"error": f"exit code {p.returncode}", "stderr_tail": (p.stderr or "").strip().splitlines()[-6:]}
    for line in reversed(p.stdout.strip().splitlines()):
        if line.startswith("{"):
            out = json.loads(line)
            out["wall_seconds"] = time.time() - t0
            return add_flops(name, side, out)
    return {"error": "no result line"}


def torch_check(name, python, folder, timeout):
    """Ours against the PyTorch side on one step (benchmarks/torch_export.py: same weights, batch, noise;
    the VAE half from the same updated D): the relative errors of the loss sums and gradients."""
    err = _export(name, folder, timeout)
    if err:
        return err
    out = {}
    for tag, extra in (("torch", []), ("float64", ["--float64"])):
        npz = os.path.join(folder, f"{tag}.npz")
        p = subprocess.run([python, "-m", "benchmarks.torch_side", "--bundle", folder, "--check", npz] + extra,
                           cwd=ROOT, env=child_env("reference"), capture_output=True, text=True, timeout=timeout)
        if p.returncode != 0:
            return {"error": f"check: exit code {p.returncode}",
                    "stderr_tail": (p.stderr or "").strip().splitlines()[-6:]}
    from .torch_export import compare
    ours, t32, t64 = (os.path.join(folder, f) for f in ("ours.npz", "torch.npz", "float64.npz"))
    out["torch_vs_ours"] = compare(ours, t32)
    out["ours_vs_float64"] = compare(t64, ours)      # each float32 side against a float64 evaluation
    out["torch_vs_float64"] = compare(t64, t32)
    return out


def _machine():
    info = {"python": platform.python_version(), "platform": platform.platform(),
            "cpus": os.cpu_count(), "omp_num_threads": os.environ.get("OMP_NUM_THREADS")}
    try:
        with open("/proc/cpuinfo") as f:
            text = f.read()
        for line in text.splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
        flags = set(text.split())
        info["bf16_flags"] = sorted(f for f in flags if "bf16" in f or f.startswith("amx"))
    except OSError:
        pass
    try:
        import vaegan_gluon  # noqa: F401  (sets OMP_NUM_THREADS = cores before mxnet loads)
        import mxnet as mx
        info["omp_num_threads"] = os.environ.get("OMP_NUM_THREADS")
        info["mxnet"] = mx.__version__
        info["mkldnn"] = bool(mx.runtime.Features().is_enabled("MKLDNN"))
    except Exception:  # pragma: no cover
        pass
    info["loadavg_start"] = os.getloadavg()
    try:
        from .machine import measure
        info.update(measure())      # gemm_gflop_s, bandwidth_gb_s, ... (benchmarks/machine.py)
    except Exception as e:  # pragma: no cover
        info["machine_error"] = repr(e)
    return info


def _fmt(x, nd=1):
    if x is None:
        return "-"
    if x >= 100:
        return f"{x:,.0f}"
    return f"{x:.{nd}f}"


def _pct(x, of):
    return "-" if x is None or not of else f"{100.0 * x / of:.0f}%"


def markdown(result, title=True):
    """The benchmark table (markdown) from a result dict (also from a saved JSON: README regeneration);
    ``title=False`` leaves out the "# Benchmark <timestamp>" heading (docs/performance.md's copy sits in a section)."""
    s, m = result["settings"], result["machine"]
    gemm, bw = m.get("gemm_gflop_s"), m.get("bandwidth_gb_s")
    sides = s.get("sides", list(SIDES))
    levers = [x for x in sides if x.startswith("ours_")]
    tsides = [x for x in sides if x in TORCH_SIDES]
    campaign = any(n in CAMPAIGN for n in result["configs"])
    load = lambda v: ", ".join(f"{x:.1f}" for x in v) if v else "?"  # noqa: E731
    partial = (" (the invocation stopped after the configs below: its parent process died; each config's "
               "record was saved as it completed)") if result.get("partial") else ""
    lines = ([f"# Benchmark {result['timestamp']}", ""] if title else []) + [
             f"`{result['command']}`{partial}  ", f"batch {BATCH}" + (" (where the model column says no other)" if any(
                 (r.get("ours") or {}).get("batch", BATCH) != BATCH for r in result["configs"].values()) else "")
             + f", {s['repeats']} timed repeats after {s['warmup']} "
             f"warm-up, optimizer: {s['optimizer']}, bf16: {s['bf16']}; "
             f"{m.get('cpu', '?')}, {m.get('cpus')} CPUs, OMP_NUM_THREADS={m.get('omp_num_threads')}; "
             f"load average at start {load(m.get('loadavg_start'))}, at end {load(m.get('loadavg_end'))}  ",
             f"machine: fp32 GEMM **{_fmt(gemm)} GFLOP/s** (oneDNN inner product {m.get('gemm_n')}^3; numpy "
             f"{_fmt(m.get('gemm_numpy_gflop_s'))}), memory bandwidth **{_fmt(bw)} GB/s** "
             f"({m.get('copy_mb')} MB copy), best of 5 (benchmarks/machine.py)", "",
             "| cfg | model | ours img/s (min-max) | reference img/s (min-max) | ratio | goal | "
             + "".join(f"{x[5:]} alone img/s (ratio, RSS MB) | " for x in levers)
             + "".join(f"{TORCH_LABEL[x]} img/s (min-max) | ours / {TORCH_LABEL[x]} | " for x in tsides)
             + "ours GFLOP/step | ours GFLOP/s (% GEMM) | ref GFLOP/s (% GEMM) | RSS ours / ref (MB) | "
             + "load (ours, ref) |"
             + (" ours s / epoch |" if campaign else ""),
             "|---|---|---|---|---|---|" + "---|" * (len(levers) + 2 * len(tsides)) + "---|---|---|---|---|"
             + ("---|" if campaign else "")]
    for name, r in result["configs"].items():
        o, f = r.get("ours") or {}, r.get("reference") or {}

        def ips(side):
            if not side:
                return "-"
            if "error" in side:
                return side["error"] if side["error"].startswith("n/a") else side["error"][:40]
            i = side["images_per_s"]
            return f"**{_fmt(i['median'])}** ({_fmt(i['min'])}-{_fmt(i['max'])})"

        def la(side):
            return f"{side['loadavg_start'][0]:.1f}" if side and "loadavg_start" in side else "-"
        ratio = f"**{r['ratio']:.2f}x**" if r.get("ratio") else "-"
        if r.get("ratio_rounds"):   # several interleaved rounds: the median ratio, its range and n
            rr = r["ratio_rounds"]
            ratio += f" ({min(rr):.2f}-{max(rr):.2f}, n={len(rr)})"
        lever_cells = ""
        for x in levers:
            lv = r.get(x) or {}
            lr = r.get(f"ratio_{x}")
            rss = f", {lv['peak_rss_mb']:,.0f}" if "peak_rss_mb" in lv else ""
            gain = f"; {r[f'gain_{x}']:.2f}x ours" if r.get(f"gain_{x}") else ""
            lever_cells += f"{ips(lv)} ({f'{lr:.2f}x' if lr else '-'}{gain}{rss}) | "
        goal = (f">= {r['goal']:g}x" if r.get("goal") else "-") + \
            (f", >= {100 * r['gemm_goal']:.0f}% GEMM" if r.get("gemm_goal") else "") + \
            (f", RSS <= {r['rss_goal_mb'] / 1024:.0f} GB" if r.get("rss_goal_mb") else "") + \
            ("" if r.get("meets_goal") is None else ": met" if r.get("meets_goal") else ": missed")
        if "meets_torch_goal" in r:
            goal += f"; >= {TORCH_GOAL:g}x {TORCH_LABEL['torch']}: " + ("met" if r["meets_torch_goal"] else "missed")
        for x in tsides:
            tr = r.get(f"ratio_{x}")
            lever_cells += f"{ips(r.get(x))} | " + (f"**{tr:.2f}x**" if tr else "-") + " | "
        lines.append(f"| {name} | {r['desc']} | {ips(o)} | {ips(f)} | {ratio} | {goal} | {lever_cells}"
                     f"{_fmt(o.get('gflop_per_step'), 2)} | {_fmt(o.get('gflop_per_s'))} "
                     f"({_pct(o.get('gflop_per_s'), gemm)}) | "
                     f"{_fmt(f.get('gflop_per_s'))} ({_pct(f.get('gflop_per_s'), gemm)}) | "
                     f"{_fmt(o.get('peak_rss_mb'))} / {_fmt(f.get('peak_rss_mb'))} | {la(o)}, {la(f)} |"
                     + (f" {epoch_seconds(name, o)} |" if campaign else ""))
    lines += ["", "ratio = ours / reference (median img/s), measured in the same invocation (with --rounds: the "
              "median of the per-round ratios of interleaved fresh subprocesses, (range, n)); a lever column is "
              "ours with that one change alone, over the same reference. Reference = the original study's "
              "training step operation for operation (benchmarks/reference.py: unhybridized, stock Adam, its "
              "loss operators, one host read per update, the VAE 3x per combo step; the VAE backward split "
              "in two only where the original's single one segfaults, i.e. with a Conv2DTranspose). GFLOP "
              "counted analytically (benchmarks/flops.py), fwd+bwd = 3x fwd; ours counts the VAE once per "
              "step, the reference three times. % GEMM = achieved GFLOP/s / the GEMM rate above. load = "
              "1-minute load average when that side started (2 cores: above 2 the side shared the CPU)."
              + (" `x ours` in a lever cell: the lever over ours, the median of the per-round ratios; n/a: the lever "
                 "does not apply to that step." if any(k.startswith("gain_") for r in result["configs"].values()
                                                        for k in r) else "")]
    if tsides:
        lines += ["", f"PyTorch ({m.get('torch') or '?'}, CPU; benchmarks/torch_side.py, run under its own Python): "
                  "our step's arithmetic in PyTorch -- the same graphs (our MXNet symbols run by PyTorch's "
                  "operators), the same initial weights, one VAE pass, D on the detached reconstructions, the "
                  "VAE through the updated D (D frozen), the Larsen step's three losses (each network's "
                  "gradient by `torch.autograd.grad`, which reaches less of the graph than ours' three full "
                  "backward passes), fused Adam, no per-step host read; `torch.compile`: each graph and the "
                  "loss arithmetic compiled (inductor), warm-up included the compilation. Run in ours' "
                  "environment (same OMP_NUM_THREADS, the package's OMP_WAIT_POLICY=PASSIVE: PyTorch's default "
                  "spin-wait made its step ~5x slower on this shared machine). GFLOP/s "
                  "of the PyTorch sides not shown: same count as ours (less for Larsen)."]
    lines += goals_markdown(result)
    lines += torch_check_markdown(result)
    lines += profile_markdown(result)
    lines += top_operators_markdown(result)
    return "\n".join(lines) + "\n"


#: the speed issue's goals beside each config's own goal over the original (``goal``, the ``ratio`` column)
CAMPAIGN_GAIN_GOAL = 2.0   # every campaign config >= 2x today's img/s (the best run-setting lever over ours)
GEMM_GOAL = 0.7            # conv steps >= 70 % of the measured GEMM rate


def goals_markdown(result):
    """Every goal's verdict, per config, from one invocation that measured the study's configs and the
    campaign's together (empty for any other run): ours over the original's step (the config's goal), ours over
    PyTorch eager (>= 1.5x), a conv step's share of the GEMM rate (>= 70 %), and for a campaign config the best
    run-setting lever over ours (>= 2x today's img/s). A goal a config cannot have (no original step, no lever
    for it, a dense step's GEMM share) is '-'."""
    names = list(result["configs"])
    if not (any(n in CAMPAIGN for n in names) and any(n not in CAMPAIGN for n in names)):
        return []
    gemm = result["machine"].get("gemm_gflop_s")

    def verdict(value, goal, unit="x"):
        if value is None or goal is None:
            return "-"
        shown = f"{100 * value:.0f} %" if unit == "%" else f"{value:.2f}x"
        return f"{'met' if value >= goal else '**missed**'} ({shown})"
    rows = ["", "**Every goal's verdict in this invocation** (the original: the config's own goal, the `ratio` "
            f"column; PyTorch eager: >= {TORCH_GOAL:g}x; conv steps: >= {100 * GEMM_GOAL:.0f} % of the GEMM rate; "
            f"campaign configs: the best run-setting lever >= {CAMPAIGN_GAIN_GOAL:g}x today's img/s, a lever that "
            "does not apply is '-'):", "",
            "| cfg | over the original | over PyTorch eager | % of GEMM | campaign: best lever over today |",
            "|---|---|---|---|---|"]
    counts = {}
    for name, r in result["configs"].items():
        cfg = CONFIGS.get(name, {})
        o = r.get("ours") or {}
        conv = cfg.get("vae", ("",))[0] != "DenseVAE"
        share = o.get("gflop_per_s") / gemm if conv and o.get("gflop_per_s") and gemm else None
        gains = [v for k, v in r.items() if k.startswith("gain_ours_") and "setting" in LEVERS.get(k[10:], {})]
        cells = [verdict(r.get("ratio"), r.get("goal")), verdict(r.get("ratio_torch"), TORCH_GOAL),
                 verdict(share, GEMM_GOAL if conv else None, "%"),
                 verdict(max(gains) if gains else (1.0 if name in CAMPAIGN else None),
                         CAMPAIGN_GAIN_GOAL if name in CAMPAIGN else None)]
        for c in cells:
            key = "met" if c.startswith("met") else "missed" if "missed" in c else None
            if key:
                counts[key] = counts.get(key, 0) + 1
        rows.append(f"| {name} | " + " | ".join(cells) + " |")
    rows += ["", f"{counts.get('met', 0)} goals met, {counts.get('missed', 0)} missed (a campaign config with no "
             "lever counts as 1.00x: nothing moved it)."]
    return rows


def top_operators_markdown(result, n=8):
    """The profiled campaign configs' top operators by kernel time: % of the profiled step's wall time
    (lines; none without a profile of a campaign config)."""
    rows = [(k, r["ours"]["profile"]) for k, r in result["configs"].items()
            if k in CAMPAIGN and "profile" in (r.get("ours") or {})]
    if not rows:
        return []
    out = ["", f"Top {n} operators of ours by kernel time (`--profile`), ms per step and % of the profiled step's "
           "wall time (calls per step); GEMM share = GEMM + conv kernels / wall:", "",
           "| cfg | wall ms | GEMM share | GEMM + conv kernels' own GFLOP/s (% GEMM rate) | BatchNorm (fwd+bwd) | "
           "top operators |", "|---|---|---|---|---|---|"]
    gemm = result["machine"].get("gemm_gflop_s")
    for name, p in rows:
        wall = p["wall_ms"]
        bn = sum(ms for op, ms, _ in p["top"] if "BatchNorm" in op)
        gf = result["configs"][name]["ours"].get("gflop_per_step")
        rate = gf / (p["gemm_ms"] / 1e3) if gf and p["gemm_ms"] else None
        tops = "; ".join(f"{op} {ms:.1f} ({100 * ms / wall:.0f}%, {calls:.0f})" for op, ms, calls in p["top"][:n])
        out.append(f"| {name} | {wall:.1f} | {100 * p['gemm_ms'] / wall:.0f}% | {_fmt(rate)} ({_pct(rate, gemm)}) | "
                   f"{100 * bn / wall:.0f}% (in the top {len(p['top'])}) | {tops} |")
    return out


def epoch_seconds(name, side):
    """Seconds of one training epoch of a campaign config at a side's median img/s (its ``n_train`` images), as
    text ("-" where unknown)."""
    n = CAMPAIGN.get(name, {}).get("n_train")
    ips = (side or {}).get("images_per_s", {}).get("median")
    return f"{n / ips:,.1f}" if n and ips else "-"


def torch_check_markdown(result):
    """The one-step check of the PyTorch side against ours (lines; none without checks)."""
    rows = [(n, r["torch_check"]) for n, r in result["configs"].items() if r.get("torch_check")]
    if not rows:
        return []
    out = ["", "The PyTorch side checked against ours on one step (same weights, batch and noise; the VAE half "
           "from ours' updated D, the two Adams' eps differing in placement): relative error of the loss sums "
           "(largest), and per parameter tensor ||g - g_ref|| / ||g_ref|| (median, largest) -- PyTorch against "
           "ours, and each float32 side against the same step in float64 (PyTorch):", "",
           "| cfg | losses: PyTorch vs ours | grads: PyTorch vs ours (median, max) | ours vs float64 (median, max) | "
           "PyTorch vs float64 (median, max) | tensors |", "|---|---|---|---|---|---|"]

    def g(c):
        if not c:
            return "-"
        return f"{c['grads']['median_rel']:.1e}, {c['grads']['max_rel']:.1e}"
    for name, c in rows:
        if "error" in c:
            out.append(f"| {name} | {c['error']} | - | - | - | - |")
            continue
        t = c["torch_vs_ours"]
        out.append(f"| {name} | {t['max_sum_rel']:.1e} | {g(t)} | {g(c.get('ours_vs_float64'))} | "
                   f"{g(c.get('torch_vs_float64'))} | {t['grads']['n']} |")
    return out


def profile_markdown(result):
    """The "where the time goes" table of a ``--profile`` run (lines; none without profiles)."""
    rows = [(n, r) for n, r in result["configs"].items()
            if any("profile" in (r.get(x) or {}) for x in ("ours", "reference"))]
    if not rows:
        return []
    out = ["", "Where the time goes (`--profile`: one more repeat of each side under MXNet's profiler, "
           "ms per step; benchmarks/profile.py):", "",
           "| cfg | side | wall (profiled) | GEMM + conv kernels | optimizer | other kernels | idle (dispatch) | "
           "ceiling img/s = batch / (GEMM + optimizer) | ceiling ratio over the reference | goal |",
           "|---|---|---|---|---|---|---|---|---|---|"]
    for name, r in rows:
        for side in ("ours", "reference"):
            p = (r.get(side) or {}).get("profile")
            if not p:
                continue
            c = r.get("ceiling") if side == "ours" else None
            cells = ["-", "-", "-"]
            if c and c.get("images_per_s") is None and c.get("profiler_overhead"):
                cells = [f"none: the profiler slowed the step {c['profiler_overhead']:.1f}x", "-", "-"]
            elif c:
                reach = c.get("goal_in_reach")
                cells = [_fmt(c.get("images_per_s")), f"{c['ratio']:.2f}x" if c.get("ratio") else "-",
                         f">= {r['goal']:g}x: " + ("within the ceiling" if reach else "**out of reach**")
                         if reach is not None else "-"]
            out.append(f"| {name} | {side} | {p['wall_ms']:.1f} | {p['gemm_ms']:.1f} | {p['optimizer_ms']:.1f} | "
                       f"{p['other_ms']:.1f} | {p['idle_ms']:.1f} | " + " | ".join(cells) + " |")
    out += ["", "A step of ours cannot take less than its GEMM + optimizer kernel time with these kernels at "
            "these shapes (elementwise kernels and dispatch counted as free), so a goal above the ceiling "
            "ratio needs fewer FLOPs or faster kernels, not less overhead. idle = wall - all kernel time: "
            "the engine waiting on Python (the profiler's own cost included). No ceiling where the profiled "
            "repeat is more than 15% slower than the timed ones: its kernel times then carry the profiler's "
            "own per-operator cost (the dense configurations: ~70-300 small operators a step)."]
    return out


#: the markers of the benchmark table in docs/performance.md ("Performance", moved out of the README)
README_BEGIN = ("<!-- benchmark table: `python -m benchmarks --render benchmarks/results/reference.json "
                "--readme docs/performance.md`; do not edit -->")
README_END = "<!-- end of benchmark table -->"
#: the markers of the campaign configs' table (CAMPAIGN, issue 35) in docs/performance.md: a result whose
#: configs are all campaign configs goes there (markers_for)
CAMPAIGN_BEGIN = ("<!-- campaign benchmark table: `python -m benchmarks --render "
                  "benchmarks/results/reference-campaign.json --readme docs/performance.md`; do not edit -->")
CAMPAIGN_END = "<!-- end of campaign benchmark table -->"


CAMPAIGN_PROFILE_BEGIN = ("<!-- campaign profile table: `python -m benchmarks --render "
                          "benchmarks/results/reference-campaign-profile.json --readme docs/performance.md`; "
                          "do not edit -->")
CAMPAIGN_PROFILE_END = "<!-- end of campaign profile table -->"


#: the 2026-12-06 table of configs a-f with five levers, which the docs' lever paragraphs read
LEVERS_BEGIN = ("<!-- levers table, 2026-12-06: `python -m benchmarks --render "
                "benchmarks/results/reference-2026-12-06-2200.json --readme docs/performance.md`; do not edit -->")
LEVERS_END = "<!-- end of the levers table, 2026-12-06 -->"
#: the Larsen lever (ours_prunedisc) over ours, in interleaved rounds of its own
LEVER_LARSEN_BEGIN = ("<!-- Larsen lever table: `python -m benchmarks --render "
                      "benchmarks/results/reference-lever-larsen.json --readme docs/performance.md`; do not edit -->")
LEVER_LARSEN_END = "<!-- end of the Larsen lever table -->"
#: ``--section NAME``: the markers a run's table goes between (docs/performance.md), overriding markers_for's choice
SECTIONS = {"campaign": (CAMPAIGN_BEGIN, CAMPAIGN_END),
            "levers": (LEVERS_BEGIN, LEVERS_END), "lever-larsen": (LEVER_LARSEN_BEGIN, LEVER_LARSEN_END),
            "campaign-profile": (CAMPAIGN_PROFILE_BEGIN, CAMPAIGN_PROFILE_END), "reference": (README_BEGIN, README_END)}


def markers_for(result):
    """The (begin, end) markers of a saved run's table in docs/performance.md: when every config of the run
    is a campaign config (:data:`CAMPAIGN`) the campaign profile table's for a ``--profile`` run, else the
    campaign table's; otherwise the benchmark table's."""
    names = list(result.get("configs", {}))
    if result.get("settings", {}).get("section") in SECTIONS:   # the run said where (--section)
        return SECTIONS[result["settings"]["section"]]
    if names and all(n in CAMPAIGN for n in names):
        if result.get("settings", {}).get("profile"):
            return CAMPAIGN_PROFILE_BEGIN, CAMPAIGN_PROFILE_END
        return CAMPAIGN_BEGIN, CAMPAIGN_END
    return README_BEGIN, README_END


def render_saved(ap, a, table, write):
    """``--render JSON [--readme MD]`` of a benchmark CLI: print the saved run's ``table(result)`` and, with
    ``--readme``, ``write(MD, result)``; returns 0 when it rendered, None when there was nothing to render."""
    if a.readme and not a.render:
        ap.error("--readme needs --render JSON (the saved run whose table goes into the README)")
    if not a.render:
        return None
    with open(a.render) as fh:
        result = json.load(fh)
    print(table(result), end="")
    if a.readme:
        write(a.readme, result)
    return 0


def campaign_speed(result, source):
    """The gains of the adoptable levers (``LEVERS[x]["setting"]``) per experiment of the campaign configs
    measured in ``result``: what ``vaegan claims plan`` prices the campaign with (``CPU hours with the
    levers``). A gain is the median of the lever's per-round ratios over ours in that invocation."""
    levers = {}
    for name, r in result["configs"].items():
        exp = CONFIGS.get(name, {}).get("experiment")
        for key, gain in r.items():
            lever = key[len("gain_ours_"):] if key.startswith("gain_ours_") else None
            if exp and lever in LEVERS and "setting" in LEVERS[lever] and gain:
                levers[exp] = {"config": name, "lever": lever, "setting": LEVERS[lever]["setting"],
                               "gain": round(gain, 3)}
    m = result["machine"]
    return {"source": source, "command": result["command"], "timestamp": result["timestamp"],
            "machine": {"cpu": m.get("cpu"), "gemm_gflop_s": m.get("gemm_gflop_s"),
                        "omp_num_threads": m.get("omp_num_threads")}, "levers": levers}


def write_readme(path, table, markers=(README_BEGIN, README_END)):
    """Replace the table between the benchmark-table markers in ``path`` (docs/performance.md)."""
    from vaegan_gluon.utils import splice_between
    splice_between(path, table, *markers)


def rounds_for(spec, name):
    """Rounds for config ``name`` from ``--rounds``: ``"3"`` (every config) or ``"a=5,b=5"`` (others 1)."""
    spec = str(spec).strip()
    if "=" not in spec:
        return max(1, int(spec))
    per = dict(part.split("=", 1) for part in spec.split(",") if part.strip())
    return max(1, int(per.get(name, 1)))


def round_ratios(mine, theirs):
    """Per-round ratios of median img/s, rounds where both sides measured."""
    return [x["images_per_s"]["median"] / y["images_per_s"]["median"] for x, y in zip(mine, theirs)
            if "images_per_s" in x and "images_per_s" in y]


def merge_rounds(outs):
    """One side's result over its rounds: the first successful round's record (profile, settings) with
    ``images_per_s`` over all rounds' repeats (median of the round medians; min/max over every repeat),
    ``round_medians`` and the largest peak RSS. A single round is returned as it is."""
    ok = [o for o in outs if "images_per_s" in o]
    if len(outs) == 1 or not ok:
        return outs[0]
    merged = dict(ok[0])
    meds = [o["images_per_s"]["median"] for o in ok]
    every = [x for o in ok for x in o["images_per_s"]["all"]]
    merged["images_per_s"] = {"median": statistics.median(meds), "min": min(every), "max": max(every),
                              "all": every}
    merged["round_medians"] = meds
    merged["rounds"] = len(ok)
    merged["peak_rss_mb"] = max(o["peak_rss_mb"] for o in ok)
    if merged.get("gflop_per_step"):   # achieved rate at the merged median
        merged["gflop_per_s"] = merged["gflop_per_step"] * merged["images_per_s"]["median"] / merged.get("batch", BATCH)
    if len(ok) < len(outs):
        merged["failed_rounds"] = [o.get("error") for o in outs if "images_per_s" not in o]
    return merged


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n\n")[0])
    ap.add_argument("--configs", default=",".join(CONFIGS), help="comma-separated subset of " + ",".join(CONFIGS))
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--steps", type=int, default=None,
                    help="steps per repeat (default per config: dense 60-100, conv 2-3)")
    ap.add_argument("--quick", action="store_true", help="smoke run: 1 repeat, 1 warm-up, 3 steps")
    ap.add_argument("--sides", default="ours,reference",
                    help="comma-separated: ours, reference, and levers measured alone as ours_<lever> "
                         "(ours_stockadam, ours_multiadam, ours_pooled, ours_spinwait, ours_pertensor, "
                         "ours_tempcopy4); torch, torch_compile (--torch-python); "
                         "default ours,reference")
    ap.add_argument("--rounds", default="1", metavar="N or cfg=N,...",
                    help="run every side N times, interleaved (ours, reference, ours, ...), each in a fresh "
                         "subprocess; the ratio is the median of the per-round ratios, shown with its range "
                         "(this VM moves one invocation by up to ~1.5x). 'a=5,b=5' sets it per config (others 1)")
    ap.add_argument("--optimizer", default="package",
                    help="'package' (what the schemes build), or an optimizer name for ours: " + ", ".join(OPTIMIZERS))
    ap.add_argument("--bf16", action="store_true", help="ours with mxnet.contrib.amp bfloat16 (experimental)")
    ap.add_argument("--profile", action="store_true",
                    help="one more repeat of each side under MXNet's profiler: kernel time by class and "
                         "the ceiling of ours (benchmarks/profile.py)")
    ap.add_argument("--out", default=RESULTS, help="results folder")
    ap.add_argument("--timeout", type=float, default=3600, help="seconds per side per config")
    ap.add_argument("--render", default=None, metavar="JSON",
                    help="print the markdown table of a saved results JSON (README regeneration) and exit")
    ap.add_argument("--readme", default=None, metavar="MD",
                    help="with --render: also write the table between the benchmark-table markers of MD")
    ap.add_argument("--torch-python", default=None, metavar="PYTHON",
                    help="the Python (with torch) that runs the sides torch and torch_compile "
                         "(default: VAEGAN_TORCH_PYTHON); the package never imports torch")
    ap.add_argument("--speed-out", default=None, metavar="JSON",
                    help="with --render: also write the adoptable levers' gains per campaign experiment there "
                         "(benchmarks/results/campaign_speed.json, read by `vaegan claims plan`)")
    ap.add_argument("--section", default=None, choices=sorted(SECTIONS),
                    help="the docs/performance.md markers this run's table goes between (--render --readme)")
    ap.add_argument("--compile-configs", default=None, metavar="a,b",
                    help="run the side torch_compile only on these configs (its compilation takes minutes a "
                         "config on 2 cores); default: every config")
    ap.add_argument("--_child", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--_export", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--_flops", default=None, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.speed_out:
        if not a.render:
            ap.error("--speed-out needs --render JSON (the saved run whose lever gains it writes)")
        with open(a.render) as fh:
            speed = campaign_speed(json.load(fh), os.path.relpath(a.render))
        with open(a.speed_out, "w") as fh:
            json.dump(speed, fh, indent=1, sort_keys=True)
            fh.write("\n")
        print(f"written: {a.speed_out}", file=sys.stderr)
    if render_saved(ap, a, markdown,
                    lambda md, result: write_readme(md, markdown(result, title=False), markers_for(result))) == 0:
        return 0
    opts = {"optimizer": a.optimizer, "bf16": a.bf16, "profile": a.profile}
    if a.quick:
        a.repeats, a.warmup, a.steps = 1, 1, a.steps or 3
    if a._flops:
        name, side = a._flops.split(":")
        print(json.dumps(step_flops(CONFIGS[name], side)))
        return 0
    if a._export:
        from .torch_export import export_bundle
        name, folder = a._export.split(":", 1)
        export_bundle(name, folder, check=True)
        return 0
    if a._child:
        name, side = a._child.split(":")
        steps = a.steps or CONFIGS[name]["steps"]
        out = run_child(name, side, steps, a.repeats, a.warmup,
                        dict(opts, bf16=a.bf16 and side == "ours"))
        print(json.dumps(out))
        return 0
    names = [n.strip() for n in a.configs.split(",") if n.strip()]
    bad = [n for n in names if n not in CONFIGS]
    if bad:
        ap.error(f"unknown configs {bad}; valid: {', '.join(CONFIGS)}")
    sides = [s.strip() for s in a.sides.split(",") if s.strip()]
    bad = [x for x in sides if x not in SIDES + TORCH_SIDES and not (x.startswith("ours_") and x[5:] in LEVERS)]
    if bad:
        ap.error(f"unknown sides {bad}; valid: ours, reference, torch, torch_compile, "
                 + ", ".join(f"ours_{o}" for o in LEVERS))
    tpy = torch_python(a.torch_python)
    import tempfile
    bundles = tempfile.mkdtemp(prefix="vaegan-torch-bundles-")
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    result = {"timestamp": stamp, "command": "python -m benchmarks " + " ".join(sys.argv[1:] if argv is None else argv),
              "machine": _machine(), "batch_size": BATCH,
              "settings": {"repeats": a.repeats, "warmup": a.warmup, "steps": a.steps, "optimizer": a.optimizer,
                           "rounds": a.rounds,
                           "bf16": a.bf16, "sides": sides, "profile": a.profile, "section": a.section},
              "configs": {}}
    if any(x in TORCH_SIDES for x in sides) and tpy:
        try:
            v = subprocess.run([tpy, "-c", "import torch; print(torch.__version__, torch.get_num_threads())"],
                               capture_output=True, text=True, timeout=120, env=child_env("reference")).stdout.split()
            result["machine"]["torch"] = v[0] if v else None
        except (OSError, subprocess.TimeoutExpired):
            result["machine"]["torch"] = None
    os.makedirs(a.out, exist_ok=True)
    path = os.path.join(a.out, f"{stamp}.json")
    for name in names:
        cfg = CONFIGS[name]
        steps = a.steps or cfg["steps"]
        r = {"desc": cfg["desc"], "goal": cfg["goal"], "gemm_goal": cfg.get("gemm_goal"), "steps": steps,
             "rss_goal_mb": cfg.get("rss_goal_mb")}
        n_rounds = rounds_for(a.rounds, name)
        per_round = {side: [] for side in sides}
        for k in range(n_rounds):
            for side in sides:
                print(f"[{name}] {side}: {steps} steps x {a.repeats} repeats (+{a.warmup} warm-up)"
                      + (f", round {k + 1}/{n_rounds}" if n_rounds > 1 else "") + " ...", file=sys.stderr, flush=True)
                if side == "reference" and not has_reference(cfg):
                    out = {"error": "n/a: the original study has no such step"}
                elif side.startswith("ours_") and cfg.get("scheme", "learnable_loss") not in \
                        LEVERS[side[5:]].get("schemes", (cfg.get("scheme", "learnable_loss"),)):
                    out = {"error": f"n/a: a lever of the {', '.join(LEVERS[side[5:]]['schemes'])} scheme"}
                elif side == "torch_compile" and a.compile_configs and \
                        name not in [c.strip() for c in a.compile_configs.split(",")]:
                    out = {"error": "n/a: not compiled in this run (--compile-configs)"}
                elif side in TORCH_SIDES:
                    out = _spawn_torch(name, side, steps, a.repeats, a.warmup, tpy, os.path.join(bundles, name),
                                       a.timeout)
                else:
                    out = _spawn(name, side, steps, a.repeats, a.warmup,
                                 dict(opts, profile=opts["profile"] and k == 0), a.timeout)
                per_round[side].append(out)
                if "error" not in out:
                    print(f"[{name}] {side}: {out['images_per_s']['median']:.1f} img/s, "
                          f"peak RSS {out['peak_rss_mb']:.0f} MB", file=sys.stderr, flush=True)
                else:
                    print(f"[{name}] {side}: {out['error']}", file=sys.stderr, flush=True)
        for side in sides:
            r[side] = merge_rounds(per_round[side])
        o, f = r.get("ours", {}), r.get("reference", {})
        for x in sides:
            if x.startswith("ours_"):
                rr = round_ratios(per_round[x], per_round.get("reference", []))
                if rr:
                    r[f"ratio_{x}"] = statistics.median(rr)
                rr = round_ratios(per_round[x], per_round.get("ours", []))   # the lever's own gain
                if rr:
                    r[f"gain_{x}"] = statistics.median(rr)
        for x in TORCH_SIDES:   # ours / PyTorch, per round
            rr = round_ratios(per_round.get("ours", []), per_round.get(x, []))
            if rr:
                r[f"ratio_{x}"] = statistics.median(rr)
        if tpy and any(x in TORCH_SIDES for x in sides):
            r["torch_check"] = torch_check(name, tpy, os.path.join(bundles, name), a.timeout)
        rr = round_ratios(per_round.get("ours", []), per_round.get("reference", []))
        if rr:
            r["ratio"] = statistics.median(rr)
            if len(rr) > 1:
                r["ratio_rounds"] = rr
        if "profile" in o:
            from .profile import ceiling
            r["ceiling"] = ceiling(o["profile"], batch_of(cfg), f.get("images_per_s", {}).get("median"), cfg["goal"],
                                   o.get("seconds_per_step"))
        # no verdict without the reference measured (a run of ours alone, or the Larsen / AE-GAN steps)
        r["meets_goal"] = r["ratio"] >= cfg["goal"] if cfg["goal"] and "ratio" in r else None
        if "ratio_torch" in r:
            r["meets_torch_goal"] = r["ratio_torch"] >= TORCH_GOAL
        gemm = result["machine"].get("gemm_gflop_s")
        if "images_per_s" in o and gemm:
            r["gemm_fraction"] = o["gflop_per_s"] / gemm
            if cfg.get("gemm_goal"):
                r["meets_gemm_goal"] = r["gemm_fraction"] >= cfg["gemm_goal"]
                r["meets_goal"] = None if r["meets_goal"] is None else r["meets_goal"] and r["meets_gemm_goal"]
        if cfg.get("rss_goal_mb") and "images_per_s" in o:
            r["meets_rss_goal"] = o["peak_rss_mb"] <= cfg["rss_goal_mb"]
            r["meets_goal"] = r["meets_goal"] and r["meets_rss_goal"]
        result["configs"][name] = r
        with open(path, "w") as fh:   # after every config: a run that dies keeps what it measured
            json.dump(dict(result, partial=True), fh, indent=2)
    result["machine"]["loadavg_end"] = os.getloadavg()
    import shutil
    shutil.rmtree(bundles, ignore_errors=True)
    with open(path, "w") as fh:
        json.dump(result, fh, indent=2)
    md = markdown(result)
    with open(os.path.join(a.out, "latest.md"), "w") as fh:
        fh.write(md)
    print(md)
    print(f"results: {path}", file=sys.stderr)
    result["path"] = path
    return result
