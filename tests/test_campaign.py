"""The claims campaign queue: order, what counts as done, one code version, a real quick run kept."""
import json
import os

import pytest

from vaegan_gluon.experiments import campaign


def _table(seeds=2):
    sel = {"experiment": "mnist-vae-bce", "where": {}}
    row = {"id": "c1", "source": "001_x.txt", "verdict": "inconclusive", "scale": "quick",
           "runs": {"ours": [], "reference": []}, "test": {"seeds_needed": seeds},
           "ours": {"n": 0}, "reference": {"n": 0}, "selection": {"ours": sel, "reference": sel}, "code": None}
    return {"claims": [row]}


def test_queue_is_seed_major_and_filtered():
    from vaegan_gluon.claims.plan import make_plan
    plan = {"groups": [{"experiment": "a", "scale": "medium", "seeds": 3, "where": {}, "claims": ["x"],
                        "run_seconds": 1.0},
                       {"experiment": "b", "scale": "medium", "seeds": 1, "where": {"train.lr": 1}, "claims": ["y"],
                        "run_seconds": 1.0}]}
    q = campaign.make_queue(plan)
    assert [(s["experiment"], s["seed"]) for s in q] == [("a", 0), ("b", 0), ("a", 1), ("a", 2)]
    assert [s["experiment"] for s in campaign.make_queue(plan, only=["y"])] == ["b"]
    assert make_plan(_table(seeds=2))["groups"][0]["seeds"] == 3      # never fewer than 3


def test_campaign_runs_keeps_and_knows_what_is_done(tmp_path, monkeypatch):
    board = tmp_path / "claims.json"
    board.write_text(json.dumps(_table(seeds=2)))
    kept, work = str(tmp_path / "kept"), str(tmp_path / "work")
    monkeypatch.setattr(campaign, "make_queue", lambda plan, only=None: [
        {"experiment": "mnist-vae-bce", "scale": "quick", "seed": 0, "where": {"train.n_epochs": 1},
         "run_seconds": 1.0}])
    assert campaign.run_campaign(board=str(board), work=work, kept=kept, log=lambda m: None) == 1
    runs = campaign.collect_runs(kept)
    assert len(runs) == 1 and runs[0]["fingerprint"] == campaign.canonical(campaign.fingerprint()["fingerprint"])
    assert not os.path.exists(os.path.join(work, "runs", os.path.relpath(runs[0]["dir"], kept), "checkpoints"))
    # done: nothing runs the second time
    assert campaign.run_campaign(board=str(board), work=work, kept=kept, log=lambda m: None) == 0
    # other code: refused, with the way out in the message
    monkeypatch.setattr(campaign, "fingerprint", lambda: {"fingerprint": "other"})
    with pytest.raises(RuntimeError, match="--restart"):
        campaign.run_campaign(board=str(board), work=work, kept=kept, log=lambda m: None)


def test_claims_run_keeps_where_told(tmp_path, monkeypatch):
    """`vaegan claims run --keep DIR`: the campaign's done-runs and new runs live in DIR (a campaign in a
    worktree keeps straight into the main checkout; a worktree moved with `git checkout -f` once lost a run)."""
    from vaegan_gluon import cli
    seen = {}
    monkeypatch.setattr(campaign, "run_campaign", lambda **kw: seen.update(kw) or 0)
    assert cli.main(["claims", "run", "--keep", str(tmp_path / "kept")]) == 0
    assert seen["kept"] == str(tmp_path / "kept")
    seen.clear()
    assert cli.main(["claims", "run"]) == 0
    assert "kept" not in seen            # the default: ./results/reference/claims_runs
