"""The faults campaign's bookkeeping (:mod:`benchmarks.faults`): the table counts what the raw trials say,
the copy in docs/faults.md is generated between its markers, shards merge, the git copy drops scratch paths."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from benchmarks import faults  # noqa: E402


def kill(kind, killed, scheme="aegan", **kw):
    t = {"part": "kill", "scheme": scheme, "kind": kind, "killed": killed, "lost_epochs": 0, "stats_differ": False,
         "weights_differ": False, "traceback": False, "survived": True}
    t.update(kw)
    return t


def ck(**kw):
    t = {"part": "checkpoint", "scheme": "larsen", "file": "latest.json", "fault": "empty", "every_checkpoint": False,
         "survived": True, "lost_epochs": 0, "fell_back": True, "stopped": False, "silent_restart": False,
         "traceback": False}
    t.update(kw)
    return t


def result(trials, command="make faults"):
    return {"command": command, "mode": "full", "seed": 0, "seconds": 10.0, "host_cpus": 2, "date": "d",
            "complete": True, "trials": trials}


def test_kill_row_counts_landed_kills_and_what_differs():
    trials = [kill("time", False), kill("ckpt", True, "larsen"), kill("solo", True, stats_differ=True,
                                                                      survived=False, lost_epochs=2)]
    row = [r for r in faults.summarize(trials) if r[0].startswith("SIGKILL")][0]
    assert row[0].startswith("SIGKILL at a seeded moment (landed: 1 ckpt, 1 solo, 0 time)")
    assert "learnable_loss 0, larsen 1, aegan 1" in row[0]
    assert row[1].startswith("3 (2 landed; ") and row[2] == 2 and row[3] == "2 epochs"
    assert row[4].startswith("1 runs with statistics differing bitwise")


def test_readme_table_is_replaced_between_the_markers(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n{faults.README_BEGIN}\nold table\n{faults.README_END}\nafter\n")
    faults.write_readme(str(readme), "| new |")
    assert readme.read_text() == f"intro\n{faults.README_BEGIN}\n| new |\n{faults.README_END}\nafter\n"


def test_merge_of_shards_replaces_the_part_and_keeps_every_shard(tmp_path):
    base = result([kill("ckpt", True), ck(old=True)])
    shards = [result([ck(i=i)], f"shard {i}") for i in range(3)]
    paths = []
    for name, r in [("base", base)] + [(f"s{i}", s) for i, s in enumerate(shards)]:
        (tmp_path / f"{name}.json").write_text(json.dumps(r))
        paths.append(str(tmp_path / f"{name}.json"))
    assert faults.main(["--merge"] + paths) == 0
    merged = json.loads((tmp_path / "base.json").read_text())
    assert [t.get("i") for t in merged["trials"] if t["part"] == "checkpoint"] == [0, 1, 2]
    assert sum(t["part"] == "kill" for t in merged["trials"]) == 1 and merged["seconds"] == 40.0
    assert merged["command"].count(" && ") == 3


def test_compact_copy_drops_scratch_paths():
    msg = ("vaegan: error: cannot resume from /tmp/faults-ab12cd/ckpt-007/ConvVAE_on_MNIST-5k/8_4_quick/checkpoints: "
           "/tmp/faults-ab12cd/tmpfs/disk-003/AE_on_faces/16_quick/checkpoints/epoch-0004 is missing")
    out = faults.compact({"trials": [{"message": msg}]})["trials"][0]["message"]
    assert out == ("vaegan: error: cannot resume from <ckpt-007>/checkpoints: <disk-003>/checkpoints/epoch-0004 "
                   "is missing")


def test_readme_table_is_the_rendered_reference():
    """docs/faults.md's numbers are generated from the committed raw results, not typed."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with open(os.path.join(root, "benchmarks", "results", "reference_faults.json"), encoding="utf-8") as f:
        table = faults.render(json.load(f))
    with open(os.path.join(root, "docs", "faults.md"), encoding="utf-8") as f:
        text = f.read()
    block = text[text.index(faults.README_BEGIN) + len(faults.README_BEGIN):text.index(faults.README_END)]
    assert block.strip() == table.strip()
    with open(os.path.join(root, "benchmarks", "results", "reference_faults.md"), encoding="utf-8") as f:
        assert f.read().strip() == table.strip()
