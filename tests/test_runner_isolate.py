"""run_experiment(isolate=True): the same run in a child process, and the oneDNN fault it sidesteps."""
import subprocess
import sys

import pytest

from vaegan_gluon.experiments import run_experiment

# MXNet 1.9.1 + oneDNN: after a ResNetDisc forward, the first forward of a ConvVAE(256, 16) at the same
# batch size segfaults (notebook 06 at medium: ConvVAE(128, 16) + ResNet, then ConvVAE(256, 16) + ResNet).
# Kept as a record of the library fault: when it stops crashing, isolate is no longer needed there.
DISC = """
from mxnet import nd
from vaegan_gluon.models import get_model
d = get_model("ResNetDisc"); d.initialize()
d(nd.zeros((2, 3, 32, 32))); nd.waitall()
"""
VAE = """
from mxnet import nd
from vaegan_gluon.models import get_model
v = get_model("ConvVAE", n_latent=256, base_channels=16, image_shape=(3, 32, 32)); v.initialize()
v(nd.zeros((2, 3, 32, 32))); nd.waitall()
"""
FAULT = DISC + VAE + 'print("no crash")\n'


def _python(code):
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)


def test_the_onednn_fault_isolate_sidesteps():
    """The same two forwards, each in a fresh process as ``isolate=True`` runs them, both succeed; in one
    process they crash *by a signal* (the segfault), not by any error (an ImportError would have passed)."""
    for code, what in ((DISC, "ResNetDisc"), (VAE, "ConvVAE(256, 16)")):
        p = _python(code + 'print("ok")\n')
        assert p.returncode == 0 and p.stdout.strip() == "ok", f"{what} alone: {p.stderr[-1500:]}"
    proc = _python(FAULT)
    if proc.returncode == 0:
        assert "no crash" in proc.stdout
        pytest.skip("this MXNet build no longer crashes here: isolate is a precaution only")
    assert proc.returncode < 0 or "Segmentation fault" in proc.stderr, \
        f"failed, but not by the oneDNN crash (exit {proc.returncode}): {proc.stderr[-1500:]}"
    assert "no crash" not in proc.stdout


def test_isolated_run_equals_the_in_process_run(tmp_path):
    over = {"data.n_train": 128, "data.n_val": 32, "train.n_epochs": 2}
    a = run_experiment("mnist-vae-logreg", "quick", over, results_root=str(tmp_path / "a"), progress=False)
    b = run_experiment("mnist-vae-logreg", "quick", over, results_root=str(tmp_path / "b"), progress=False,
                       isolate=True)
    assert b.trainer is None and b.run_dir.startswith(str(tmp_path / "b"))
    keys = ("recon_bce", "neg_elbo", "kl", "disc_acc_real", "disc_acc_fake")
    assert {k: b.metrics[k] for k in keys} == {k: a.metrics[k] for k in keys}
    assert [r["vae_loss"] for r in b.history] == [r["vae_loss"] for r in a.history]


def test_a_failing_child_is_an_error_naming_the_experiment(tmp_path):
    with pytest.raises(RuntimeError, match="mnist-vae-logreg: the training process ended with exit code"):
        run_experiment("mnist-vae-logreg", "quick", {"data.n_train": -5}, results_root=str(tmp_path),
                       progress=False, isolate=True)
