"""Notebooks parameterised the papermill way: a `parameters` cell in each, passed explicitly to every run it starts."""
import ast
import glob
import os

import numpy as np

import nbformat
import pytest

from vaegan_gluon.experiments import notebook_params

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NOTEBOOKS = sorted(glob.glob(os.path.join(ROOT, "notebooks", "[0-9]*.ipynb")))
PARAMETERS = ["scale", "ctx", "data_path", "seed", "resume", "tensorboard"]


@pytest.fixture(autouse=True)
def _keep_scale(monkeypatch):
    monkeypatch.setenv("VAEGAN_SCALE", os.environ.get("VAEGAN_SCALE", "medium"))


def _assigned(source):
    return [t.id for node in ast.parse(source).body if isinstance(node, ast.Assign) for t in node.targets]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=os.path.basename)
def test_every_notebook_has_a_parameters_cell_applied_before_any_run(path):
    nb = nbformat.read(path, as_version=4)
    tagged = [i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, "exactly one cell tagged `parameters`"
    i = tagged[0]
    first_code = next(j for j, c in enumerate(nb.cells) if c.cell_type == "code")
    assert i == first_code, "the parameters cell must come before any other code"
    assert _assigned(nb.cells[i].source) == PARAMETERS
    assert 'os.environ.get("VAEGAN_SCALE", "medium")' in nb.cells[i].source   # nbval's VAEGAN_SCALE=quick
    apply = nb.cells[i + 1].source
    assert "RUN = use_parameters(scale, ctx, data_path, seed, resume, tensorboard)" in apply
    runs = [c.source for c in nb.cells if c.cell_type == "code" and ("run_experiment(" in c.source
                                                                       or "run_sweep(" in c.source)]
    for src in runs:   # every run is handed the parameters explicitly
        assert src.count("**RUN") == src.count("run_experiment(") + src.count("run_sweep("), src


def test_papermill_injection_overrides_the_defaults():
    from papermill.parameterize import parameterize_notebook
    nb = nbformat.read(NOTEBOOKS[0], as_version=4)
    nb.metadata["papermill"] = {}   # papermill's execute_notebook sets these up before injecting
    for cell in nb.cells:
        cell.metadata.setdefault("tags", [])
    out = parameterize_notebook(nb, {"scale": "full", "ctx": "gpu:0", "seed": 3})
    i = next(k for k, c in enumerate(out.cells) if "parameters" in c.metadata.get("tags", []))
    assert "injected-parameters" in out.cells[i + 1].metadata.get("tags", [])
    assert "use_parameters(" in out.cells[i + 2].source    # the injected values are applied after it
    env = {}
    exec(out.cells[i].source, env)
    exec(out.cells[i + 1].source, env)
    assert (env["scale"], env["ctx"], env["seed"], env["resume"]) == ("full", "gpu:0", 3, False)


def test_use_parameters_reaches_every_run_given_them(tmp_path, monkeypatch):
    import vaegan_gluon.experiments as ex
    import vaegan_gluon.experiments.runner as runner
    seen = {}

    def fake_run(config, run_dir, ctx="cpu", resume=False, progress=True, callbacks=(), data_path=None,
                 kvstore="device", data=None, allow_other_data=False):
        seen.update(config=config, run_dir=run_dir, ctx=ctx, resume=resume, callbacks=list(callbacks),
                    data_path=data_path)
        return ex.RunResult(run_dir, [], {"recon_bce": 1.0}, type("T", (), {"writer": False})())
    monkeypatch.setattr(runner, "run", fake_run)   # run_experiment's own reference to `run`
    faces = tmp_path / "faces"
    faces.mkdir()
    from PIL import Image   # run_experiment checks the data's splits before training (two images at least)
    for i in range(4):
        Image.fromarray(np.full((8, 8, 3), 40 * i, np.uint8)).save(faces / f"{i}.png")
    run = notebook_params.use_parameters("quick", "cpu:0", str(faces), 7, True, str(tmp_path / "tb"))
    assert os.environ["VAEGAN_SCALE"] == "quick"
    ex.run_experiment("mnist-vae-logreg", results_root=str(tmp_path / "results"), progress=False, overwrite=True,
                      **run)
    assert seen["ctx"] == "cpu:0" and seen["resume"] is True and seen["data_path"] == str(faces)
    assert seen["config"]["train"]["seed"] == 7
    (tb,) = seen["callbacks"]
    assert tb.logdir == os.path.join(str(tmp_path / "tb"), os.path.basename(seen["run_dir"]))
    # an explicit seed override wins over the seed parameter
    ex.run_experiment("mnist-vae-logreg", overrides={"train.seed": 1}, results_root=str(tmp_path / "results"),
                      progress=False, **{**run, "ctx": "cpu:1"})
    assert seen["config"]["train"]["seed"] == 1 and seen["ctx"] == "cpu:1"
    # nothing is kept between calls: a run not handed the parameters runs with the defaults
    ex.run_experiment("mnist-vae-logreg", results_root=str(tmp_path / "results"), progress=False)
    assert seen["ctx"] == "cpu" and seen["resume"] is False and seen["callbacks"] == []


@pytest.mark.parametrize("kwargs,msg", [({"scale": "huge"}, "scale"), ({"ctx": "tpu"}, "context"),
                                        ({"seed": 1.5}, "seed"), ({"data_path": "/no/such/dir"}, "not a folder")])
def test_bad_parameters_fail_in_the_parameters_cell(kwargs, msg):
    with pytest.raises(ValueError, match=msg):
        notebook_params.use_parameters(**kwargs)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=os.path.basename)
def test_every_notebook_prints_its_commit_and_scale_first(path):
    nb = nbformat.read(path, as_version=4)
    i = next(k for k, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", []))
    assert "print_provenance()" in nb.cells[i + 1].source


def _repo(tmp_path):
    import subprocess
    root = tmp_path / "repo"
    (root / "vaegan_gluon").mkdir(parents=True)
    (root / "notebooks").mkdir()
    (root / "vaegan_gluon" / "a.py").write_text("x = 1\n")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(1)")])
    nbformat.write(nb, str(root / "notebooks" / "n.ipynb"))
    (root / "README.md").write_text("r\n")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false"]
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    subprocess.run(git + ["add", "."], cwd=root, check=True)
    subprocess.run(git + ["commit", "-q", "-m", "init"], cwd=root, check=True)
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True)
    return root, head.stdout.strip()


def test_git_commit_is_dirty_for_code_not_for_outputs(tmp_path, capsys):
    root, head = _repo(tmp_path)
    assert notebook_params.git_commit(str(root)) == head
    (root / "README.md").write_text("changed\n")              # outside vaegan_gluon/ and notebooks/
    assert notebook_params.git_commit(str(root)) == head
    path = str(root / "notebooks" / "n.ipynb")
    nb = nbformat.read(path, as_version=4)
    nb.cells[0].outputs = [nbformat.v4.new_output("stream", name="stdout", text="1\n")]
    nb.cells[0].execution_count = 1
    nb.metadata["papermill"] = {"duration": 1.0}
    nbformat.write(nb, path)                                  # re-executed: outputs only
    assert notebook_params.git_commit(str(root)) == head
    nb.cells[0].source = "print(2)"                           # a changed source is code
    nbformat.write(nb, path)
    assert notebook_params.git_commit(str(root)) == head + "+dirty"
    nb.cells[0].source = "print(1)"
    nbformat.write(nb, path)
    (root / "vaegan_gluon" / "a.py").write_text("x = 2\n")
    assert notebook_params.git_commit(str(root)) == head + "+dirty"
    (root / "vaegan_gluon" / "a.py").write_text("x = 1\n")
    (root / "vaegan_gluon" / "new.py").write_text("")        # untracked code counts too
    assert notebook_params.git_commit(str(root)) == head + "+dirty"


def test_print_provenance_prints_the_line_the_commit_test_reads(capsys):
    import re
    commit, scale = notebook_params.print_provenance("quick")
    out = capsys.readouterr().out
    if commit is None:
        pytest.skip("not a git checkout")
    assert re.fullmatch(r"commit: (\S+)  scale: quick\n", out)
    assert scale == "quick" and commit and out.split()[1] == commit


def test_strip_injected_parameters(tmp_path):
    """`make notebooks` removes papermill's injected cell, so a committed notebook keeps its own defaults
    (nbval's VAEGAN_SCALE=quick must not be overridden by an injected scale = "medium")."""
    from papermill.parameterize import parameterize_notebook
    from vaegan_gluon.experiments.notebook_params import strip_injected_parameters
    nb = nbformat.read(NOTEBOOKS[0], as_version=4)
    nb.metadata["papermill"] = {}
    for cell in nb.cells:
        cell.metadata.setdefault("tags", [])
    out = parameterize_notebook(nb, {"scale": "medium", "resume": True})
    p = tmp_path / "nb.ipynb"
    nbformat.write(out, str(p))
    assert strip_injected_parameters(str(p)) == 1
    back = nbformat.read(str(p), as_version=4)
    assert [c.source for c in back.cells] == [c.source for c in nbformat.read(NOTEBOOKS[0], as_version=4).cells]
    assert strip_injected_parameters(str(p)) == 0
