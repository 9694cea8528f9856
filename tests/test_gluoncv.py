"""gluoncv used for real: its LR schedulers as lr_schedule kinds, its seeding; imported lazily and guarded."""
import math
import os
import random
import subprocess
import sys

import numpy as np
import pytest

import vaegan_gluon  # noqa: F401  (sets OMP_NUM_THREADS before mxnet)
import mxnet as mx

from vaegan_gluon.schedules import make_lr_schedule
from vaegan_gluon.schedules import GluonCVLR
from vaegan_gluon.utils import import_gluoncv
from vaegan_gluon.utils import seed_everything

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _python(code, extra_path=None):
    env = dict(os.environ, OMP_NUM_THREADS="1")
    if extra_path:
        env["PYTHONPATH"] = extra_path + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT)


def test_pinned_environment_imports_gluoncv_cleanly_and_the_package_does_not_import_it():
    code = ("import sys, vaegan_gluon.train, vaegan_gluon.experiments, vaegan_gluon.schedules\n"
            "assert 'gluoncv' not in sys.modules, 'gluoncv imported at package import'\n"
            "import warnings; warnings.simplefilter('error', UserWarning)\n"
            "from vaegan_gluon.utils import import_gluoncv\n"
            "g = import_gluoncv(); print(g.utils.LRScheduler.__name__, g.utils.LRSequential.__name__)")
    out = _python(code)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["LRScheduler", "LRSequential"]


def test_torch_2_beside_gluoncv_is_a_clear_error_and_training_still_imports(tmp_path):
    fake = tmp_path / "torch"       # the real fault: gluoncv's __init__ raises when it finds torch >= 2
    fake.mkdir()
    (fake / "__init__.py").write_text("__version__ = '2.3.0'\n")
    code = ("from vaegan_gluon.train import TrainConfig, Trainer\n"
            "from vaegan_gluon.utils import seed_everything\n"
            "import mxnet as mx; seed_everything(3); a = mx.nd.random.uniform(shape=(3,)).asnumpy()\n"
            "seed_everything(3); assert (a == mx.nd.random.uniform(shape=(3,)).asnumpy()).all()\n"
            "from vaegan_gluon.utils import import_gluoncv\n"
            "try:\n    import_gluoncv()\nexcept RuntimeError as e:\n    print('ERR', e)\n"
            "try:\n    TrainConfig(lr_schedule={'kind': 'cosine'})\nexcept RuntimeError as e:\n    print('CFG', e)\n")
    out = _python(code, extra_path=str(tmp_path))
    assert out.returncode == 0, out.stderr[-2000:]
    err = [line for line in out.stdout.splitlines() if line.startswith("ERR")]
    assert err and "torch" in err[0] and "pip uninstall torch" in err[0], out.stdout
    assert any(line.startswith("CFG gluoncv cannot be imported") for line in out.stdout.splitlines()), out.stdout


@pytest.mark.parametrize("spec,expected", [
    ({"kind": "cosine"}, [(1 + math.cos(math.pi * e / 4)) / 2 for e in range(4)]),
    ({"kind": "cosine", "target_lr": 0.2}, [0.2 + 0.8 * (1 + math.cos(math.pi * e / 4)) / 2 for e in range(4)]),
    ({"kind": "poly", "power": 2}, [(1 - e / 4) ** 2 for e in range(4)]),
    ({"kind": "gluoncv", "mode": "linear"}, [1 - e / 4 for e in range(4)]),
    ({"kind": "gluoncv", "mode": "step", "step_epoch": [1, 3], "step_factor": 0.5}, [1, 0.5, 0.5, 0.25]),
    ({"kind": "cosine", "warmup_epochs": 2, "epochs": 6},
     [0.5, 1.0] + [(1 + math.cos(math.pi * e / 4)) / 2 for e in range(4)]),
    ({"kind": "gluoncv", "mode": "step", "step_epoch": [3], "warmup_epochs": 2, "epochs": 5},
     [0.5, 1.0, 1.0, 0.1, 0.1]),
])
def test_gluoncv_schedules_per_epoch(spec, expected):
    s = make_lr_schedule(spec, 1.0, n_epochs=4)
    assert [s.begin_epoch(e) for e in range(len(expected))] == pytest.approx(expected)
    # stateless: a state round trip (checkpoint/resume) gives the same values, in any order
    t = make_lr_schedule(spec, 1.0, n_epochs=4)
    t.load_state_dict(s.state_dict())
    assert [t.begin_epoch(e) for e in reversed(range(len(expected)))] == pytest.approx(expected[::-1])


def test_gluoncv_schedules_are_gluoncv_objects(monkeypatch):
    calls = []
    utils = import_gluoncv().utils
    real = utils.LRScheduler

    def spy(*a, **k):
        calls.append(a[0])
        return real(*a, **k)
    monkeypatch.setattr(utils, "LRScheduler", spy)
    GluonCVLR(1.0, mode="poly", n_epochs=3, warmup_epochs=2).begin_epoch(0)
    assert sorted(calls[-2:]) == ["linear", "poly"]


@pytest.mark.parametrize("spec,msg", [
    ({"kind": "gluoncv", "mode": "exp"}, "mode must be one of"),
    ({"kind": "gluoncv", "mode": "step"}, "needs step_epoch"),
    ({"kind": "cosine", "warmup_epochs": 4}, "warmup_epochs"),
    ({"kind": "cosine", "target_lr": 2.0}, "target_lr"),
    ({"kind": "cosine", "bogus": 1}, "bad lr_schedule"),
])
def test_bad_gluoncv_specs_are_one_line_errors(spec, msg):
    with pytest.raises(ValueError, match=msg):
        make_lr_schedule(spec, 1.0, n_epochs=4)


def test_config_validation_knows_the_run_length():
    from vaegan_gluon.train import TrainConfig
    TrainConfig(n_epochs=3, lr_schedule={"kind": "cosine", "warmup_epochs": 2})
    with pytest.raises(ValueError, match="warmup_epochs"):
        TrainConfig(n_epochs=2, lr_schedule={"kind": "cosine", "warmup_epochs": 2})


def test_seed_everything_is_gluoncv_seed():
    gluoncv = import_gluoncv()
    gluoncv.utils.random.seed(1234)
    ref = (random.random(), np.random.rand(), mx.nd.random.uniform(shape=(4,)).asnumpy())
    seed_everything(1234)
    got = (random.random(), np.random.rand(), mx.nd.random.uniform(shape=(4,)).asnumpy())
    assert ref[:2] == got[:2] and (ref[2] == got[2]).all()
    seed_everything(2 ** 40 + 5)   # numpy only takes seeds < 2**32
    assert np.random.rand() == np.random.RandomState(5).rand()


def test_trainer_runs_a_gluoncv_cosine_schedule(tmp_path):
    from vaegan_gluon.models import get_model
    from vaegan_gluon.train import Trainer
    x = np.random.RandomState(0).rand(64, 1, 28, 28).astype("float32")
    vae = get_model("DenseVAE", n_latent=2, n_hidden_layers=1, n_hidden_units=16, image_shape=(1, 28, 28))
    t = Trainer(vae, None, dict(n_epochs=4, batch_size=64, lr=1e-3, lr_schedule={"kind": "cosine"}),
                out_dir=str(tmp_path), progress=False)
    t.fit(x)
    assert [r["lr"] for r in t.history] == pytest.approx([1e-3 * (1 + math.cos(math.pi * e / 4)) / 2
                                                          for e in range(4)])
