"""run_experiment(isolate=True) trains in a spawned child: when the parent is killed (the campaign, on
SIGTERM or kill -9), the child must not go on training as an orphan beside the next run. Found when a
stopped campaign's child trained a ResNet run for an hour beside two later runs and held a run lock."""
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")

PARENT = textwrap.dedent("""
    import sys
    from vaegan_gluon.experiments.runner import _run_isolated
    _run_isolated(dict(name="mnist-vae-bce", scale="quick", overrides={"train.n_epochs": 500},
                       results_root=sys.argv[1], progress=False))
""")


def _children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def _alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split()[2] != "Z"
    except OSError:
        return False


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["term", "kill"])
def test_the_child_dies_with_its_parent(tmp_path, sig):
    parent = subprocess.Popen([sys.executable, "-c", PARENT, str(tmp_path)],
                              env={**os.environ, "OMP_NUM_THREADS": "1"})
    try:
        deadline, trainer = time.time() + 240, None
        while time.time() < deadline and trainer is None:     # the spawned child that trains (not the tracker)
            time.sleep(1)
            for c in _children(parent.pid):
                with open(f"/proc/{c}/cmdline", "rb") as f:
                    if b"spawn_main" in f.read():
                        trainer = c
        assert trainer is not None, "no training child appeared"
        while time.time() < deadline and not list(tmp_path.glob("*/*/training_statistics.csv")):
            time.sleep(1)                                      # training has started
        parent.send_signal(sig)
        parent.wait(120)
        if sig == signal.SIGTERM:   # the parent waits for its child: nothing trains once it has exited
            assert not _alive(trainer), "the parent exited while its training child still ran"
            assert parent.returncode == 1       # TrainingStopped raised in the parent (a traceback here)
        gone = time.time() + 120
        while time.time() < gone and _alive(trainer):
            time.sleep(0.5)
        assert not _alive(trainer), "the training child outlived its parent"
    finally:
        parent.kill()
        parent.wait()
