"""The install pins: pyproject.toml, environment.yml (GPU) and environment-cpu.yml must agree."""
import os
import re
import subprocess
import sys

import pytest

try:
    import tomllib
except ImportError:  # Python < 3.11
    tomllib = pytest.importorskip("tomli")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _name(req):
    return re.split(r"[<>=!~\[ ]", req, 1)[0].strip().lower()


def pyproject():
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as f:
        return tomllib.load(f)["project"]


def env_pip_section(fname):
    lines, inside = [], False
    for line in open(os.path.join(ROOT, fname)):
        if line.strip() == "- pip:":
            inside = True
            continue
        if inside and line.strip().startswith("- "):
            lines.append(line.strip()[2:].strip())
    return {_name(r): r for r in lines}


@pytest.mark.parametrize("fname,mxnet_pin", [("environment.yml", "mxnet-cu112==1.9.1"),
                                             ("environment-cpu.yml", "mxnet==1.9.1")])
def test_environment_files_carry_the_pyproject_pins(fname, mxnet_pin):
    proj = pyproject()
    env = env_pip_section(fname)
    for req in proj["dependencies"]:
        assert env.get(_name(req)) == req, f"{fname}: {req!r} differs ({env.get(_name(req))!r})"
    extras = proj["optional-dependencies"]
    assert mxnet_pin in extras["cpu"] + extras["cu112"]
    assert env[_name(mxnet_pin)] == mxnet_pin
    other = "mxnet" if "cu112" in mxnet_pin else "mxnet-cu112"
    assert other not in env, f"{fname} must not install both mxnet builds"
    for req in extras["test"]:
        assert _name(req) in env


def test_numpy_pin_keeps_mxnet_importable():
    import numpy
    import mxnet
    assert numpy.__version__ == "1.23.5"
    assert mxnet.__version__ == "1.9.1"


def test_installed_set_is_consistent():
    out = subprocess.run([sys.executable, "-m", "pip", "check"], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_omp_threads_set_before_mxnet_import():
    env = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}
    code = "import os, vaegan_gluon, mxnet; print(os.environ['OMP_NUM_THREADS'])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert int(out.stdout.strip()) == len(os.sched_getaffinity(0))
    env["OMP_NUM_THREADS"] = "1"   # a user's setting wins
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT)
    assert out.stdout.strip() == "1"
