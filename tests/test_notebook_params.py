"""Notebooks parameterised the papermill way: a `parameters` cell in each, applied to every run it starts."""
import ast
import glob
import os

import nbformat
import pytest

from vaegan_gluon import notebook_params

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NOTEBOOKS = sorted(glob.glob(os.path.join(ROOT, "notebooks", "[0-9]*.ipynb")))
PARAMETERS = ["scale", "ctx", "data_path", "seed", "resume", "tensorboard"]


@pytest.fixture(autouse=True)
def _clean_session(monkeypatch):
    monkeypatch.setenv("VAEGAN_SCALE", os.environ.get("VAEGAN_SCALE", "medium"))
    yield
    notebook_params.clear()


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
    assert "use_parameters(scale, ctx, data_path, seed, resume, tensorboard)" in apply


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


def test_use_parameters_reaches_every_run(tmp_path, monkeypatch):
    import vaegan_gluon.experiments as ex
    import vaegan_gluon.experiments.runner as runner
    seen = {}

    def fake_run(config, run_dir, ctx="cpu", resume=False, progress=True, callbacks=(), data_path=None,
                 kvstore="device"):
        seen.update(config=config, run_dir=run_dir, ctx=ctx, resume=resume, callbacks=list(callbacks),
                    data_path=data_path)
        return ex.RunResult(run_dir, [], {"recon_bce": 1.0}, type("T", (), {"writer": False})())
    monkeypatch.setattr(runner, "run", fake_run)   # run_experiment's own reference to `run`
    faces = tmp_path / "faces"
    faces.mkdir()
    assert notebook_params.use_parameters("quick", "cpu:0", str(faces), 7, True, str(tmp_path / "tb")) == "quick"
    assert os.environ["VAEGAN_SCALE"] == "quick"
    ex.run_experiment("mnist-vae-logreg", results_root=str(tmp_path / "results"), progress=False, overwrite=True)
    assert seen["ctx"] == "cpu:0" and seen["resume"] is True and seen["data_path"] == str(faces)
    assert seen["config"]["train"]["seed"] == 7
    (tb,) = seen["callbacks"]
    assert tb.logdir == os.path.join(str(tmp_path / "tb"), os.path.basename(seen["run_dir"]))
    # an explicit seed override and context win over the session's
    ex.run_experiment("mnist-vae-logreg", overrides={"train.seed": 1}, ctx="cpu:1",
                      results_root=str(tmp_path / "results"), progress=False)
    assert seen["config"]["train"]["seed"] == 1 and seen["ctx"] == "cpu:1"
    notebook_params.clear()   # outside a notebook session nothing is changed
    ex.run_experiment("mnist-vae-logreg", results_root=str(tmp_path / "results"), progress=False)
    assert seen["ctx"] == "cpu" and seen["resume"] is False and seen["callbacks"] == []


@pytest.mark.parametrize("kwargs,msg", [({"scale": "huge"}, "scale"), ({"ctx": "tpu"}, "context"),
                                        ({"seed": 1.5}, "seed"), ({"data_path": "/no/such/dir"}, "not a folder")])
def test_bad_parameters_fail_in_the_parameters_cell(kwargs, msg):
    with pytest.raises(ValueError, match=msg):
        notebook_params.use_parameters(**kwargs)
