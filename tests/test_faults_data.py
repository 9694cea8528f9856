"""Data faults and checkpoints of an older version (issue 34, the campaign's own gaps); the campaign's ``data``
part (:func:`benchmarks.faults.part_data`) runs the same classes on trained runs.

- an old checkpoint: ``benchmarks/faults_data/old-<commit>/`` holds a run folder written by that commit's
  package and killed after its epoch-2 checkpoint (made by ``python -m benchmarks.faults_old_checkpoint``:
  ``git archive`` of the commit, its own ``python -m vaegan_gluon run``, ``os._exit`` after the save);
  today's ``--resume`` finishes it from epoch 2 or stops with one line naming a file;
- a corrupt dataset cache (truncated, garbage, digest missing): rebuilt, the same data;
- an empty split (``--data`` with no image, or none decodable): one line naming ``--data``, nothing written.
"""
import csv
import glob
import json
import os
import shutil
import sys

import pytest

import vaegan_gluon  # noqa: F401  (sets OMP_NUM_THREADS before mxnet)
from vaegan_gluon.cli import main
from vaegan_gluon.data import load, mnist

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from benchmarks import faults  # noqa: E402
from benchmarks.faults_old_checkpoint import fixtures  # noqa: E402

FIXTURES = {made["commit"]: (folder, made) for folder, made in fixtures()}


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cli_errors import one_line_error, own_cache  # noqa: E402,F401  (own_cache: autouse, a cache per test)


def rows(run):
    with open(os.path.join(run, "training_statistics.csv"), newline="") as f:
        return [{k: v for k, v in r.items() if k not in ("seconds", "images_per_s")} for r in csv.DictReader(f)]


# ------------------------------------------------------------------------------------ old checkpoints
def resume_fixture(commit, tmp_path):
    folder, made = FIXTURES[commit]
    results = str(tmp_path / "R")
    shutil.copytree(os.path.join(folder, "results"), results)
    (run,) = [os.path.dirname(p) for p in glob.glob(os.path.join(results, "*", "*", "config.json"))]
    before = rows(run)
    rc = main(list(made["argv"]) + ["--results", results, "--resume"])
    return rc, run, before


def test_the_fixtures_are_runs_killed_after_epoch_2():
    assert set(FIXTURES) == {"9940730", "f6b3757"}
    for folder, made in FIXTURES.values():
        (run,) = glob.glob(os.path.join(folder, "results", "*", "*"))
        # killed after the epoch-2 checkpoint, before the CSV's epoch-2 row (state.json holds both rows)
        assert len(rows(run)) == 1 and not os.path.exists(os.path.join(run, "metrics.json"))
        assert json.load(open(os.path.join(run, "checkpoints", "latest.json")))["epoch"] == 2
        assert made["argv"][:2] == ["run", "mnist-vae-logreg"]


def test_a_checkpoint_of_2026_12_01_resumes_at_epoch_2_and_finishes(tmp_path, capsys):
    """9940730: no manifest.json, state.json without its networks, optimiser states by index."""
    rc, run, before = resume_fixture("9940730", tmp_path)
    assert rc == 0, capsys.readouterr().err
    after = rows(run)
    assert [r["epoch"] for r in after] == ["1", "2", "3"]      # epochs 1-2 from the checkpoint, epoch 3 trained
    assert [{k: r[k] for k in before[0]} for r in after[:1]] == before   # the old row, column for column
    assert os.path.exists(os.path.join(run, "metrics.json"))


def test_a_checkpoint_of_2026_12_02_resumes_or_names_the_file(tmp_path, capsys):
    """f6b3757: its config.json lists every scheme extra with its default (alpha, beta, gamma, ...); today's
    learnable_loss lists only its own, so the resume check sees 'extra' differ and refuses the run
    ("training settings differ from the saved run extra: {...}"), naming the folder, not a file."""
    rc, run, before = resume_fixture("f6b3757", tmp_path)
    if rc == 0:
        after = rows(run)
        assert [r["epoch"] for r in after] == ["1", "2", "3"]
        assert [{k: r[k] for k in before[0]} for r in after[:1]] == before
    else:
        line = one_line_error(capsys)
        assert "training settings differ" not in line and ".json" in line, line


# ------------------------------------------------------------------------------------ the dataset cache
@pytest.mark.parametrize("damage", ["truncated", "garbage", "digest missing", "digest garbage"])
def test_a_damaged_dataset_cache_is_rebuilt_the_same(tmp_path, capsys, damage):
    mnist._MNIST5K_MEMO.clear()
    good = load("mnist-5k", split="train").provenance["checksum"]
    (npy,) = glob.glob(str(tmp_path / "cache" / "mnist-5k" / "*.npy"))
    raw = open(npy, "rb").read()
    if damage == "truncated":
        open(npy, "wb").write(raw[: len(raw) // 3])
    elif damage == "garbage":
        open(npy, "wb").write(os.urandom(len(raw)))
    elif damage == "digest missing":
        open(npy, "wb").write(raw[:-64] + bytes(64))   # other pixels, and nothing to check them against
        os.unlink(npy + ".sha256")
    else:
        open(npy + ".sha256", "w").write("not a digest\n")
    mnist._MNIST5K_MEMO.clear()
    capsys.readouterr()
    again = load("mnist-5k", split="train")
    err = capsys.readouterr().err
    assert again.provenance["checksum"] == good and "Traceback" not in err
    if damage in ("truncated", "garbage", "digest garbage"):   # a digest that does not match: said once
        assert len(err.splitlines()) == 1 and "rebuilt" in err and npy in err, err
    mnist._MNIST5K_MEMO.clear()
    load("mnist-5k", split="train")
    assert capsys.readouterr().err == ""                 # the rebuilt cache verifies
    mnist._MNIST5K_MEMO.clear()


# ------------------------------------------------------------------------------------ an empty split
@pytest.mark.parametrize("content", ["none", "undecodable", "one"])
def test_an_empty_split_is_one_line_naming_data_before_training(tmp_path, capsys, content):
    folder = tmp_path / "images"
    folder.mkdir()
    if content == "undecodable":
        for k in range(3):
            (folder / f"{k}.png").write_text("not an image")
    elif content == "one":
        faults._image_folder(str(folder), 1)
    results = tmp_path / "R"
    assert main(["run", "mnist-vae-logreg", "--scale", "quick", "--no-progress", "--results", str(results),
                 "--data", str(folder)]) == 2
    line = one_line_error(capsys)
    assert "--data" in line or str(folder) in line, line
    assert not [p for p in glob.glob(os.path.join(str(results), "**"), recursive=True) if os.path.isfile(p)]
