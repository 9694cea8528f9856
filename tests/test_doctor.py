"""`vaegan doctor`: the CPU path on this machine, the GPU logic with faked nvidia-smi outputs, the GPU matrix of
docs/gpu.md."""
import copy
import os
import re
import stat
import subprocess
import sys

import pytest

from vaegan_gluon import doctor

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SMI_ARGS = "--query-gpu=name,driver_version,compute_cap --format=csv"


@pytest.fixture(scope="module")
def facts():
    return doctor.collect(nvidia_smi="no-such-nvidia-smi")


def fake_smi(tmp_path, rows, old_driver=False):
    """An nvidia-smi that answers only the doctor's exact query (an old one rejects compute_cap)."""
    path = tmp_path / "nvidia-smi"
    body = "\n".join(rows)
    if old_driver:
        script = (f'#!/bin/sh\ncase "$1" in *compute_cap*) echo \'Field "compute_cap" is not a valid field to '
                  f'query.\'; exit 2;; esac\nprintf "name, driver_version\\n{body}\\n"\n')
    else:
        script = (f'#!/bin/sh\n[ "$*" = "{SMI_ARGS}" ] || {{ echo "unexpected args: $*" >&2; exit 6; }}\n'
                  f'printf "name, driver_version, compute_cap\\n{body}\\n"\n')
    path.write_text(script)
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return str(path)


def gpu_build(facts, gpus, num_gpus=None):
    """The facts of the same machine with mxnet-cu112 installed and ``gpus`` visible."""
    f = copy.deepcopy(facts)
    f["dists"].update({"mxnet": None, "mxnet-cu112": "1.9.1"})
    f["mxnet"]["features"].update(CUDA=True, CUDNN=True, NCCL=True)
    f["mxnet"]["num_gpus"] = len(gpus) if num_gpus is None else num_gpus
    f["gpus"] = gpus
    return f


def lines(checks, level=None):
    return [f"{t}: {m}" for lv, t, m in checks if level is None or lv == level]


# ------------------------------------------------------------------------------------------- CPU
def test_cpu_path_on_this_machine(facts, capsys):
    from vaegan_gluon.cli import main
    assert main(["doctor", "--ctx", "cpu"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"\[  ok\] mxnet +mxnet 1\.9\.1: MKLDNN on, CUDA off, CUDNN off, NCCL off, DIST_KVSTORE on", out)
    assert "[  ok] numpy    1.23.5 (pin 1.23.5)" in out
    assert re.search(r"\[  ok\] threads +OMP_NUM_THREADS=\d+, \d+ usable cores", out)
    assert "mnist-5k: " in out and "mnist_5k.csv.gz" in out
    assert "this environment can run the project" in out
    assert facts["dists"]["mxnet"] == "1.9.1" and facts["mxnet"]["features"]["MKLDNN"] is True


def test_environment_faults_fail(facts):
    f = copy.deepcopy(facts)
    f["numpy"]["version"] = "2.4.0"
    checks = doctor.diagnose(f, "cpu")
    assert doctor.exit_status(checks) == 1
    assert any("numpy 2.4.0 installed, pinned 1.23.5" in m and "constraints.txt" in m for m in lines(checks, "FAIL"))
    f = copy.deepcopy(facts)
    f["dists"]["mxnet-cu112"] = "1.9.1"
    assert any("both mxnet" in m for m in lines(doctor.diagnose(f, "cpu"), "FAIL"))
    f = copy.deepcopy(facts)
    f["omp"].update(OMP_NUM_THREADS="8", cores=2)
    checks = doctor.diagnose(f, "cpu")
    assert doctor.exit_status(checks) == 0 and any("oversubscribe" in m for m in lines(checks, "warn"))
    f = copy.deepcopy(facts)
    f["memory_gb"]["available"] = 0.2
    assert doctor.exit_status(doctor.diagnose(f, "cpu")) == 1


def test_broken_mxnet_is_diagnosed_and_the_cli_points_to_doctor(tmp_path):
    fake = tmp_path / "mxnet"   # the real fault of numpy >= 1.24: mxnet's import dies on np.bool
    fake.mkdir()
    (fake / "__init__.py").write_text("raise AttributeError(\"module 'numpy' has no attribute 'bool'\")\n")
    env = dict(os.environ, PYTHONPATH=f"{tmp_path}{os.pathsep}{ROOT}")
    p = subprocess.run([sys.executable, "-m", "vaegan_gluon", "doctor"], capture_output=True, text=True,
                       env=env, cwd=tmp_path, timeout=300)
    assert p.returncode == 1, p.stdout + p.stderr
    assert "Traceback" not in p.stderr
    assert re.search(r"\[FAIL\] mxnet +`import mxnet` fails \(AttributeError: .*np.bool", p.stdout), p.stdout
    p = subprocess.run([sys.executable, "-m", "vaegan_gluon", "list"], capture_output=True, text=True,
                       env=env, cwd=tmp_path, timeout=300)
    assert p.returncode == 1 and "run `vaegan doctor`" in p.stderr and "Traceback" not in p.stderr


# ------------------------------------------------------------------------------------------- GPU
def test_sm80_card_is_supported(facts, tmp_path):
    smi = fake_smi(tmp_path, ["NVIDIA A100-SXM4-40GB, 535.104.05, 8.0"])
    gpus, note = doctor.query_gpus(smi)
    assert note is None and gpus == [{"name": "NVIDIA A100-SXM4-40GB", "driver": "535.104.05", "cc": 80}]
    checks = doctor.diagnose(gpu_build(facts, gpus), ctx="gpu")
    assert doctor.exit_status(checks) == 0, lines(checks)
    assert any(m.startswith("gpu 0: NVIDIA A100-SXM4-40GB (driver 535.104.05, compute capability 8.0, sm_80): "
                            "mxnet-cu112 1.9.1 has sm_80 kernels") for m in lines(checks, "ok"))


def test_sm90_card_is_a_clear_refusal(facts, tmp_path, capsys):
    smi = fake_smi(tmp_path, ["NVIDIA H100 80GB HBM3, 550.54.15, 9.0"])
    gpus, _ = doctor.query_gpus(smi)
    f = gpu_build(facts, gpus)
    assert doctor.main(["--ctx", "gpu"], facts=f) == 1
    out = capsys.readouterr().out
    fail = [line for line in out.splitlines() if line.startswith("[FAIL] gpu 0")]
    assert len(fail) == 1, out
    for words in ("sm_90", "has no kernels for sm_90", "no kernel image is available", "--ctx cpu",
                  "5.0 to 8.9", "CUDA 11.8", "-DMXNET_CUDA_ARCH=9.0", "CUDA 11.2 cannot target sm_90"):
        assert words in fail[0], words
    assert "no GPU here can run this build" in out
    # on the CPU the same machine is fine: the GPU line is a warning
    checks = doctor.diagnose(f, ctx="cpu")
    assert doctor.exit_status(checks) == 0 and any("sm_90" in m for m in lines(checks, "warn"))


@pytest.mark.parametrize("cc,kind,arch", [(50, "native", 50), (52, "compatible", 50), (61, "compatible", 60),
                                          (75, "compatible", 70), (86, "native", 86), (89, "compatible", 86),
                                          (37, None, None), (90, None, None), (100, None, None),
                                          (120, None, None)])
def test_kernel_support_follows_binary_compatibility(cc, kind, arch):
    assert doctor.kernel_support(cc) == (kind, arch)


def test_mixed_machine_old_driver_and_missing_compute_cap(facts, tmp_path):
    smi = fake_smi(tmp_path, ["NVIDIA L4, 535.0, 8.9", "NVIDIA H200, 550.0, 9.0", "Tesla V100, 440.33.01, 7.0"])
    checks = doctor.diagnose(gpu_build(facts, doctor.query_gpus(smi)[0]), ctx="gpu")
    got = {t: lv for lv, t, _ in checks if t.startswith("gpu ")}
    assert got == {"gpu 0": "ok", "gpu 1": "FAIL", "gpu 2": "FAIL"}
    assert any("sm_86 kernels (binary compatible within compute capability 8.x)" in m for m in lines(checks, "ok"))
    assert any("driver 440.33.01 is older than 450.80.02" in m for m in lines(checks, "FAIL"))
    old = fake_smi(tmp_path, ["Tesla P100, 470.1"], old_driver=True)
    gpus, note = doctor.query_gpus(old)
    assert gpus == [{"name": "Tesla P100", "driver": "470.1", "cc": None}]
    assert any("compute capability unknown" in m for m in lines(doctor.diagnose(gpu_build(facts, gpus), "gpu"),
                                                                   "warn"))


def test_cpu_build_with_a_good_gpu_says_how_to_install_the_gpu_build(facts):
    f = copy.deepcopy(facts)
    f["gpus"] = [{"name": "Tesla T4", "driver": "535.0", "cc": 75}]
    assert doctor.exit_status(doctor.diagnose(f, "cpu")) == 0
    checks = doctor.diagnose(f, "gpu")
    assert doctor.exit_status(checks) == 1
    assert any("make install DEVICE=gpu" in m for m in lines(checks, "FAIL"))


def test_readme_gpu_matrix_is_the_rendered_one():
    readme = open(os.path.join(ROOT, "docs", "gpu.md")).read()
    m = re.search(r"^## GPU matrix\n(.*?)(?=^## |\Z)", readme, re.S | re.M)
    assert m, "docs/gpu.md has no '## GPU matrix' section"
    assert doctor.gpu_matrix_markdown() in m.group(1), \
        "docs/gpu.md GPU matrix is stale: paste `vaegan doctor --gpu-matrix`"
