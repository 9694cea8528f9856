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


# ------------------------------------------------------------------ pins that hold (constraints.txt)
def constraints():
    out = {}
    for line in open(os.path.join(ROOT, "constraints.txt")):
        line = line.split("#", 1)[0].strip()
        if line:
            out[_name(line)] = line
    return out


def test_constraints_file_carries_the_pins():
    cons, proj = constraints(), pyproject()
    assert cons["numpy"] == "numpy==1.23.5"
    for req in proj["dependencies"] + proj["optional-dependencies"]["cpu"] + proj["optional-dependencies"]["cu112"]:
        if any(op in req for op in "=<>"):
            assert cons.get(_name(req)) == req, f"constraints.txt: {req!r} differs ({cons.get(_name(req))!r})"
    assert cons["torch"] == "torch<2"   # gluoncv 0.10.5 raises at import beside torch >= 2


def _simulated_pip_check(installs):
    """`pip check` of the installed set after ``installs`` (pip's report entries) would be installed."""
    from importlib import metadata
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name
    versions, requires = {}, {}
    for d in metadata.distributions():
        name = canonicalize_name(d.metadata["Name"])
        versions[name], requires[name] = d.version, d.requires or []
    for item in installs:
        name = canonicalize_name(item["metadata"]["name"])
        versions[name], requires[name] = item["metadata"]["version"], item["metadata"].get("requires_dist") or []
    problems = []
    for name, reqs in requires.items():
        for text in reqs:
            req = Requirement(text)
            if req.marker is not None and not req.marker.evaluate({"extra": ""}):
                continue
            have = versions.get(canonicalize_name(req.name))
            if have is None:
                problems.append(f"{name} needs {req} (missing)")
            elif not req.specifier.contains(have, prereleases=True):
                problems.append(f"{name} needs {req}, would have {have}")
    return problems


def test_installing_the_test_and_notebooks_extras_keeps_numpy_and_pip_check_clean(tmp_path):
    """Resolve (pip --dry-run) what `make notebooks` installs into this environment: the package's
    dependencies, the cpu, test and notebooks extras, against constraints.txt. What can fail: an extra
    (or its newest dependencies) wanting numpy >= 1.24, a conflict between the pins and the extras, or an
    upgrade that breaks an installed package (checked like `pip check` on the resulting set)."""
    proj = pyproject()
    extras = proj["optional-dependencies"]
    reqs = proj["dependencies"] + extras["cpu"] + extras["test"] + extras["notebooks"]
    report = tmp_path / "report.json"
    out = subprocess.run([sys.executable, "-m", "pip", "install", "--dry-run", "--quiet", "--report", str(report),
                          "-c", os.path.join(ROOT, "constraints.txt"), *reqs],
                         capture_output=True, text=True, timeout=600)
    text = out.stdout + out.stderr
    if out.returncode != 0 and any(s in text for s in ("NewConnectionError", "Network is unreachable",
                                                        "Temporary failure in name resolution",
                                                        "Could not fetch URL", "ConnectionError")):
        pytest.skip("the package index is unreachable: cannot resolve the extras")
    assert out.returncode == 0, text[-3000:]
    import json
    installs = json.loads(report.read_text())["install"]
    changed = {i["metadata"]["name"].lower(): i["metadata"]["version"] for i in installs}
    assert changed.get("numpy", "1.23.5") == "1.23.5", f"installing the extras would move numpy to {changed['numpy']}"
    assert "mxnet" not in changed or changed["mxnet"] == "1.9.1"
    problems = _simulated_pip_check(installs)
    assert not problems, problems


def test_a_numpy_lifting_install_is_caught_by_the_check(tmp_path):
    """The check above can fail: a report entry moving numpy to 2.x breaks mxnet's and gluoncv's pins."""
    fake = [{"metadata": {"name": "numpy", "version": "2.4.6", "requires_dist": []}}]
    problems = _simulated_pip_check(fake)
    assert any("numpy==1.23.5" in p for p in problems), problems


def test_progress_bars_come_from_tqdm_auto():
    """Widgets in JupyterLab, text in a terminal: every tqdm import of the package is tqdm.auto's."""
    import ast
    import glob
    bad = []
    for path in glob.glob(os.path.join(ROOT, "vaegan_gluon", "**", "*.py"), recursive=True):
        for node in ast.walk(ast.parse(open(path).read())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "tqdm" \
                    and node.module != "tqdm.auto":
                bad.append(f"{os.path.relpath(path, ROOT)}: from {node.module} import ...")
            if isinstance(node, ast.Import) and any(a.name.split(".")[0] == "tqdm" and a.name != "tqdm.auto"
                                                    for a in node.names):
                bad.append(f"{os.path.relpath(path, ROOT)}: import tqdm")
    assert not bad, bad
    import tqdm.auto
    from vaegan_gluon.train import callbacks
    assert callbacks.tqdm is tqdm.auto.tqdm
