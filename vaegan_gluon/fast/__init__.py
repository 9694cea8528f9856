"""The performance wing: what makes a step faster without changing what it computes (or by a stated rounding).

One switch, ``TrainConfig.fast`` (default on): :mod:`.steps` replaces a scheme's plain step by cached graphs
(:mod:`.step_graphs`), :mod:`.stat_sums` adds the statistics in batches, :mod:`.adam` runs Adam through the
vectorised kernel of :mod:`.kernels`; ``TrainConfig.fused_bce`` (default on, needs ``fast``) computes the fast
steps' sigmoid-BCE terms as one operator each way. The teaching code never imports this package; the scheme
base installs it (:func:`.steps.install`) and tests/test_fast_wing.py proves each scheme's fast step equal to
its plain one. ``config["numerics"]`` records which kernels ran (:mod:`vaegan_gluon.train.fingerprint`).
"""
