"""The numerics fingerprint (vaegan_gluon.train.fingerprint): what moves it, what does not, runs record it."""
import json
import os
import shutil
import subprocess

import pytest

from vaegan_gluon.fast import adam as fastadam, kernels  # noqa: F401
from vaegan_gluon.train import fingerprint as fpm
from vaegan_gluon.train.fingerprint import (REPO_ROOT, WorkTree, canonical, code_hash, fingerprint,
                                            is_numerics_file, legacy_fingerprint)

ENV = ("VAEGAN_FUSED_BCE", "VAEGAN_FAST_ADAM", "VAEGAN_ADAM_MULTI")


@pytest.fixture(autouse=True)
def default_env(monkeypatch):
    for name in ENV:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def tree(tmp_path):
    """A copy of the package's sources: a WorkTree to edit."""
    shutil.copytree(os.path.join(REPO_ROOT, "vaegan_gluon"), tmp_path / "vaegan_gluon",
                    ignore=shutil.ignore_patterns("__pycache__", "weights"))
    return tmp_path


def edit(root, rel, old, new):
    path = root / "vaegan_gluon" / rel
    text = path.read_text()
    assert text.count(old) == 1, f"{rel}: {old!r} not found once"
    path.write_text(text.replace(old, new))


def test_docstrings_comments_and_formatting_keep_the_code_hash(tree):
    before = code_hash(WorkTree(tree))
    edit(tree, "losses.py", '"""KL(q(z|x) || N(0, I)) per image', '"""The KL divergence, per image')
    edit(tree, "losses.py", "def kl_divergence(mu, logvar, F=nd):",
         "def kl_divergence(mu, logvar,\n                  F=nd):   # reformatted, with a comment\n    'a bare string'")
    edit(tree, "fast/kernels/bce_ext.cc", "inline float bce_elem(float x, float y) {",
         "// a new comment\n\ninline float bce_elem(float x, float y) {   // and a trailing one")
    assert code_hash(WorkTree(tree)) == before


@pytest.mark.parametrize("rel, old, new", [
    ("losses.py", "return -0.5 * F.sum(1 + logvar", "return -0.25 * F.sum(1 + logvar"),
    ("fast/kernels/bce_ext.cc", "return x >= 0.f ? 1.f / (1.f + e)", "return x > 0.f ? 1.f / (1.f + e)"),
    ("utils.py", "seed = int(seed) % (2 ** 32)", "seed = int(seed) % (2 ** 31)"),
])
def test_an_arithmetic_line_moves_the_code_hash(tree, rel, old, new):
    before = code_hash(WorkTree(tree))
    edit(tree, rel, old, new)
    assert code_hash(WorkTree(tree)) != before


def test_the_file_rule(tree):
    """Excluded modules do not count; a new module counts until it is argued out (err on including)."""
    before = code_hash(WorkTree(tree))
    (tree / "vaegan_gluon" / "metrics.py").write_text("X = 1\n")
    (tree / "vaegan_gluon" / "experiments" / "runner.py").write_text("X = 2\n")
    assert code_hash(WorkTree(tree)) == before
    (tree / "vaegan_gluon" / "train" / "new_step.py").write_text("SCALE = 2.0\n")
    assert code_hash(WorkTree(tree)) != before
    assert is_numerics_file("vaegan_gluon/train/trainer.py")
    assert is_numerics_file("vaegan_gluon/fast/kernels/adam_ext.cc")
    assert not any(is_numerics_file(p) for p in ("vaegan_gluon/cli.py", "vaegan_gluon/claims/board.py",
                                                 "vaegan_gluon/evaluation/scores.py", "README.md",
                                                 "tests/test_losses.py", "vaegan_gluon/train/fingerprint.py"))


def test_fused_bce_off_moves_the_fingerprint_iff_the_kernel_runs(monkeypatch):
    on = fingerprint()
    monkeypatch.setenv("VAEGAN_FUSED_BCE", "0")
    off = fingerprint()
    assert off["switches"]["fused_bce"] is False and off["code"] == on["code"]
    if kernels.available():
        assert on["switches"]["fused_bce"] is True and on["kernels"]["bce_ext"] == "loaded"
        assert off["kernels"]["bce_ext"] == "disabled by VAEGAN_FUSED_BCE=0"
        assert off["fingerprint"] != on["fingerprint"]
    else:
        assert off["fingerprint"] == on["fingerprint"]


def test_bit_identical_switches_keep_the_fingerprint(monkeypatch):
    base = fingerprint()
    monkeypatch.setenv("VAEGAN_ADAM_MULTI", "0")
    per_tensor = fingerprint()
    assert per_tensor["switches"]["adam_multi"] is False and base["switches"]["adam_multi"] is True
    assert per_tensor["fingerprint"] == base["fingerprint"]
    # MXNet's own Adam kernel is bit-identical to the vectorised one; the multi-tensor "multiadam" and
    # imperative training are equal to float rounding only, so they count
    assert fingerprint({"train": {"optimizer": "stockadam"}})["fingerprint"] == base["fingerprint"]
    assert fingerprint({"train": {"optimizer": "multiadam"}})["fingerprint"] != base["fingerprint"]
    assert fingerprint({"train": {"hybridize": False}})["fingerprint"] != base["fingerprint"]
    assert fingerprint(ctx="gpu:0")["fingerprint"] != base["fingerprint"]


def test_canonical_follows_the_equivalence_table(monkeypatch):
    monkeypatch.setattr(fpm, "EQUIVALENT", {"new2": "new1", "new1": "old"})
    assert canonical("new2") == "old" and canonical({"fingerprint": "new1"}) == "old"
    assert canonical("other") == "other" and canonical(None) is None


def _dirty_numerics_files():
    out = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all", "--", "vaegan_gluon"],
                         cwd=REPO_ROOT, capture_output=True, text=True)
    if out.returncode != 0:
        pytest.skip("not a git checkout")
    paths = [line[3:].split(" -> ")[-1] for line in out.stdout.splitlines()]
    return [p for p in paths if is_numerics_file(p)]


def test_legacy_fingerprint_of_head_is_the_clean_tree():
    dirty = _dirty_numerics_files()
    if dirty:
        pytest.skip(f"working tree differs from HEAD in numerics files: {dirty[:3]}")
    if not kernels.available():
        pytest.skip("no kernel library here: HEAD's default (fused BCE) cannot run")
    cfg = {"train": {"hybridize": True, "optimizer": "adam"}, "command": "vaegan run x --scale quick"}
    old, now = legacy_fingerprint("HEAD", REPO_ROOT, cfg), fingerprint(cfg)
    assert old["source"].startswith("backfilled from git commit ")
    assert (old["fingerprint"], old["code"]) == (now["fingerprint"], now["code"])


def test_legacy_fingerprint_of_a_missing_commit():
    fp = legacy_fingerprint("0" * 40, REPO_ROOT)
    assert fp == {"fingerprint": None, "source": f"commit {'0' * 40} not in this repository"}


def test_backfill_adds_numerics_only_where_missing(tmp_path):
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True).stdout.strip()
    if not head:
        pytest.skip("not a git checkout")
    runs = {"a": {"name": "x", "commit": head, "train": {}}, "b": {"name": "y", "train": {}},
            "c": {"name": "z", "commit": head, "numerics": {"fingerprint": "kept"}}}
    for d, cfg in runs.items():
        (tmp_path / d).mkdir()
        (tmp_path / d / "config.json").write_text(json.dumps(cfg))
        (tmp_path / d / "metrics.json").write_text("{}")
    assert fpm.main(["--backfill", str(tmp_path)]) == 0
    read = lambda d: json.loads((tmp_path / d / "config.json").read_text())   # noqa: E731
    assert read("a")["numerics"]["source"] == f"backfilled from git commit {head}"
    assert read("a")["numerics"]["fingerprint"] == legacy_fingerprint(head, REPO_ROOT, runs["a"])["fingerprint"]
    assert read("b")["numerics"] == {"fingerprint": None, "source": "no commit recorded in config.json"}
    assert read("c")["numerics"] == {"fingerprint": "kept"}
    assert fpm.backfill(str(tmp_path)) == 0
    table = fpm.split_table(str(tmp_path))
    assert "| kept | 1 |" in table and "| (none) | 1 | none | y |" in table


def test_a_quick_run_records_its_fingerprint_and_a_changed_resume_warns(tmp_path, monkeypatch, capsys):
    from vaegan_gluon.experiments import run_experiment
    over = {"data.n_train": 128, "data.n_val": 64, "train.n_epochs": 1}
    run_dir = str(tmp_path / "run")
    run_experiment("mnist-vae-logreg", "quick", over, run_dir=run_dir, progress=False)
    cfg = json.loads(open(os.path.join(run_dir, "config.json")).read())
    assert cfg["numerics"]["source"] == "recorded at run"
    assert cfg["numerics"]["fingerprint"] == fingerprint(cfg)["fingerprint"]
    capsys.readouterr()
    if kernels.available():
        monkeypatch.setenv("VAEGAN_FUSED_BCE", "0")
    run_experiment("mnist-vae-logreg", "quick", dict(over, **{"train.n_epochs": 2}), run_dir=run_dir,
                   progress=False, resume=True)
    warned = [line for line in capsys.readouterr().err.splitlines() if "numerics fingerprint" in line]
    again = json.loads(open(os.path.join(run_dir, "config.json")).read())["numerics"]
    if kernels.available():
        assert len(warned) == 1 and "fused_bce True->False" in warned[0]
        assert again["resumed_from"] == cfg["numerics"]["fingerprint"] != again["fingerprint"]
    else:
        assert not warned and "resumed_from" not in again


def test_doctor_reports_the_kernels_and_the_fingerprint():
    from vaegan_gluon import doctor
    facts = doctor.collect(nvidia_smi="no-such-nvidia-smi")
    assert facts["numerics"]["fingerprint"] == fingerprint()["fingerprint"]
    line = [m for _, topic, m in doctor.diagnose(facts, "cpu") if topic == "kernels"]
    assert len(line) == 1 and f"numerics fingerprint {facts['numerics']['fingerprint']}" in line[0]
    assert "adam_ext " in line[0] and "bce_ext " in line[0]
