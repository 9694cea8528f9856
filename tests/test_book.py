"""The book (`make book`, book/_config.yml + book/_toc.yml), the notebooks' text twins (jupytext.toml,
notebooks/text/) and the Binder environment (binder/): each lists or mirrors what it must, and cannot drift."""
import glob
import json
import os
import re

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NOTEBOOKS = sorted(glob.glob(os.path.join(ROOT, "notebooks", "[0-9]*.ipynb")))
SYNC = "run `make sync` (or: jupytext --sync notebooks/*.ipynb) and commit notebooks/text/"

yaml = pytest.importorskip("yaml")


def _name(path):
    return os.path.splitext(os.path.basename(path))[0]


def _toc_files():
    with open(os.path.join(ROOT, "book", "_toc.yml"), encoding="utf-8") as f:
        toc = yaml.safe_load(f)
    files = [toc["root"]]

    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                files.append(node["file"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
    walk(toc.get("parts", []) + toc.get("chapters", []))
    return files


def _config():
    with open(os.path.join(ROOT, "book", "_config.yml"), encoding="utf-8") as f:
        return yaml.safe_load(f)


# ------------------------------------------------------------------ the book
def test_there_are_notebooks_to_check():
    assert len(NOTEBOOKS) >= 10


def test_toc_lists_every_notebook_and_docs_page():
    files = _toc_files()
    assert len(files) == len(set(files)), f"book/_toc.yml lists a page twice: {files}"
    wanted = [f"notebooks/{_name(p)}" for p in NOTEBOOKS]
    wanted += [f"docs/{_name(p)}" for p in sorted(glob.glob(os.path.join(ROOT, "docs", "*.md")))]
    missing = [w for w in wanted if w not in files]
    assert not missing, f"book/_toc.yml misses {missing}: add each under a part"
    for f in files:   # and lists nothing that is gone
        assert glob.glob(os.path.join(ROOT, f + ".*")), f"book/_toc.yml lists {f}, which does not exist"


def test_book_renders_the_committed_outputs_and_fetches_nothing():
    cfg = _config()
    assert cfg["execute"]["execute_notebooks"] == "off"   # never executes (the outputs are make notebooks')
    assert cfg["only_build_toc_files"] is True
    launch = cfg["launch_buttons"]
    assert not launch.get("thebe") and not any(launch.get(k) for k in launch if k.endswith("_url"))
    html = cfg["html"]
    assert not any(html["comments"].values()) and not any(html["analytics"].values())
    assert not cfg["logo"] and not html["favicon"]
    sphinx = cfg["sphinx"]
    assert sphinx["config"]["intersphinx_mapping"] == {}
    assert "sphinx-mathjax-offline" in sphinx["extra_extensions"]   # MathJax from the build, not a CDN
    assert "linkify" not in cfg["parse"]["myst_enable_extensions"]


def test_build_output_is_ignored():
    with open(os.path.join(ROOT, ".gitignore"), encoding="utf-8") as f:
        assert "_build/" in f.read().split()


# ------------------------------------------------------------------ the text twins (jupytext)
def _sources(cells):
    return [(c["cell_type"], "".join(c["source"]) if isinstance(c["source"], list) else c["source"]) for c in cells]


def test_jupytext_pairs_notebooks_with_text_twins():
    tomllib = pytest.importorskip("tomllib")
    with open(os.path.join(ROOT, "jupytext.toml"), "rb") as f:
        cfg = tomllib.load(f)
    assert cfg["formats"] == {"notebooks/": "ipynb", "notebooks/text/": "py:percent"}


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=_name)
def test_every_notebook_has_its_twin_with_the_same_cells(nb):
    jupytext = pytest.importorskip("jupytext", reason="the notebooks extra (jupytext) is not installed")
    twin = os.path.join(ROOT, "notebooks", "text", _name(nb) + ".py")
    assert os.path.exists(twin), f"{os.path.relpath(twin, ROOT)} is missing: {SYNC}"
    with open(nb, encoding="utf-8") as f:
        want = _sources(json.load(f)["cells"])
    got = _sources(jupytext.read(twin)["cells"])
    if got != want:
        first = next((i for i, (a, b) in enumerate(zip(got, want)) if a != b), min(len(got), len(want)))
        pytest.fail(f"notebooks/text/{_name(nb)}.py differs from its notebook from cell {first} on "
                    f"({len(got)} cells against {len(want)}): {SYNC}")


def test_no_orphan_twins():
    names = {_name(p) for p in NOTEBOOKS}
    orphans = [p for p in glob.glob(os.path.join(ROOT, "notebooks", "text", "*")) if _name(p) not in names]
    assert not orphans, f"twins without a notebook (delete them): {orphans}"


def test_the_drift_check_can_fail(tmp_path):
    """A twin whose one cell was edited is told apart from its notebook."""
    jupytext = pytest.importorskip("jupytext", reason="the notebooks extra (jupytext) is not installed")
    nb = jupytext.read(NOTEBOOKS[0])
    text = jupytext.writes(nb, fmt="py:percent")
    changed = text.replace("import os", "import os  # edited", 1)
    assert changed != text
    assert _sources(jupytext.reads(changed, fmt="py:percent")["cells"]) != _sources(nb["cells"])
    assert _sources(jupytext.reads(text, fmt="py:percent")["cells"]) == _sources(nb["cells"])


# ------------------------------------------------------------------ Binder (CPU pins)
def _pip_section(path):
    lines, inside = [], False
    for line in open(path, encoding="utf-8"):
        if line.strip() == "- pip:":
            inside = True
            continue
        if inside and line.strip().startswith("- "):
            lines.append(line.strip()[2:].split("#", 1)[0].strip())
    return {re.split(r"[<>=!~\[ ]", r, 1)[0].strip().lower(): r for r in lines}


def test_binder_environment_is_the_cpu_one_with_the_pins():
    tomllib = pytest.importorskip("tomllib")
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as f:
        proj = tomllib.load(f)["project"]
    env = _pip_section(os.path.join(ROOT, "binder", "environment.yml"))
    for req in proj["dependencies"] + proj["optional-dependencies"]["cpu"]:
        name = re.split(r"[<>=!~\[ ]", req, 1)[0].strip().lower()
        assert env.get(name) == req, f"binder/environment.yml: {req!r} differs ({env.get(name)!r})"
    assert "mxnet-cu112" not in env, "Binder has no GPU: the CPU mxnet only"
    with open(os.path.join(ROOT, "binder", "environment.yml"), encoding="utf-8") as f:
        assert "python=3.11" in f.read()   # numpy 1.23.5 has no wheels for Python >= 3.12
