"""The book (`make book`, book/_config.yml + book/_toc.yml), the notebooks' text twins (jupytext.toml,
notebooks/text/) and the Binder environment (binder/): each lists or mirrors what it must, and cannot drift."""
import glob
import json
import os
import re

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NOTEBOOKS = sorted(glob.glob(os.path.join(ROOT, "notebooks", "[0-9]*.ipynb")))
SYNC = "run `make sync` (it writes notebooks/text/ from the notebooks) and commit notebooks/text/"



def _yaml():
    return pytest.importorskip("yaml")   # PyYAML: papermill's dependency (the test extra)


def _toml():
    try:
        import tomllib
    except ImportError:  # Python < 3.11
        tomllib = pytest.importorskip("tomli")
    return tomllib


def _name(path):
    return os.path.splitext(os.path.basename(path))[0]


def _toc_files():
    with open(os.path.join(ROOT, "book", "_toc.yml"), encoding="utf-8") as f:
        toc = _yaml().safe_load(f)
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
        return _yaml().safe_load(f)


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
    assert sphinx["config"]["nb_ipywidgets_js"] == {}   # myst-nb's default loads the widget manager from a CDN
    assert "sphinx-mathjax-offline" in sphinx["extra_extensions"]   # MathJax from the build, not a CDN
    assert "linkify" not in cfg["parse"]["myst_enable_extensions"]


def test_build_output_is_ignored():
    with open(os.path.join(ROOT, ".gitignore"), encoding="utf-8") as f:
        assert "_build/" in f.read().split()


# ------------------------------------------------------------------ the text twins (jupytext)
def _sources(cells):
    return [(c["cell_type"], "".join(c["source"]) if isinstance(c["source"], list) else c["source"]) for c in cells]


def test_jupytext_pairs_notebooks_with_text_twins():
    tomllib = _toml()
    with open(os.path.join(ROOT, "jupytext.toml"), "rb") as f:
        cfg = tomllib.load(f)
    assert cfg["formats"] == {"notebooks/": "ipynb", "notebooks/text/": "py:percent"}


def _percent_chunks(cells):
    """Each cell's text as jupytext's py:percent writes it: code as it is (magics commented out), markdown as
    comment lines. Used where jupytext is not installed (`make test` has the test extra only)."""
    out = []
    for kind, src in cells:
        lines = src.split("\n")
        if kind == "markdown":
            out.append("\n".join("# " + line if line else "#" for line in lines))
        else:
            out.append("\n".join("# " + line if re.match(r"\s*[%!?]", line) else line for line in lines))
    return out


def _twin_differs(nb_path, twin_path):
    """None when the twin's cells equal the notebook's, else where they first differ."""
    with open(nb_path, encoding="utf-8") as f:
        want = _sources(json.load(f)["cells"])
    try:
        import jupytext
    except ImportError:
        jupytext = None
    if jupytext is not None:   # exact: the twin read back as a notebook
        got = _sources(jupytext.read(twin_path)["cells"])
        if got == want:
            return None
        first = next((i for i, (a, b) in enumerate(zip(got, want)) if a != b), min(len(got), len(want)))
        return f"from cell {first} on ({len(got)} cells against {len(want)})"
    with open(twin_path, encoding="utf-8") as f:   # without jupytext: one marker and the same text per cell, in order
        text = f.read()
    n = len(re.findall(r"^# %%(?: |$)", text, flags=re.M))
    if n != len(want):
        return f"{n} cells against {len(want)}"
    pos = 0
    for i, chunk in enumerate(_percent_chunks(want)):
        found = text.find(chunk, pos)
        if found < 0:
            return f"from cell {i} on"
        pos = found + len(chunk)
    return None


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=_name)
def test_every_notebook_has_its_twin_with_the_same_cells(nb):
    twin = os.path.join(ROOT, "notebooks", "text", _name(nb) + ".py")
    assert os.path.exists(twin), f"{os.path.relpath(twin, ROOT)} is missing: {SYNC}"
    where = _twin_differs(nb, twin)
    assert where is None, f"notebooks/text/{_name(nb)}.py differs from its notebook {where}: {SYNC}"


def test_no_orphan_twins():
    names = {_name(p) for p in NOTEBOOKS}
    orphans = [p for p in glob.glob(os.path.join(ROOT, "notebooks", "text", "*")) if _name(p) not in names]
    assert not orphans, f"twins without a notebook (delete them): {orphans}"


@pytest.mark.parametrize("with_jupytext", [True, False], ids=["jupytext", "stdlib"])
def test_the_drift_check_can_fail(tmp_path, monkeypatch, with_jupytext):
    """A twin with one line of one cell edited, or one cell dropped, is told apart from its notebook."""
    import builtins
    if with_jupytext:
        pytest.importorskip("jupytext", reason="the notebooks extra (jupytext) is not installed")
    else:
        real_import = builtins.__import__

        def no_jupytext(name, *args, **kwargs):
            if name == "jupytext":
                raise ImportError(name)
            return real_import(name, *args, **kwargs)
        monkeypatch.setattr(builtins, "__import__", no_jupytext)
    nb = NOTEBOOKS[0]
    twin = os.path.join(ROOT, "notebooks", "text", _name(nb) + ".py")
    with open(twin, encoding="utf-8") as f:
        text = f.read()
    assert _twin_differs(nb, twin) is None
    edited = tmp_path / "edited.py"
    edited.write_text(text.replace("import os", "import os  # edited", 1), encoding="utf-8")
    assert _twin_differs(nb, str(edited)) is not None
    dropped = tmp_path / "dropped.py"
    cells = re.split(r"(?m)^(?=# %%(?: |$))", text)
    dropped.write_text("".join(cells[:3] + cells[4:]), encoding="utf-8")
    assert _twin_differs(nb, str(dropped)) is not None


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
    tomllib = _toml()
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as f:
        proj = tomllib.load(f)["project"]
    env = _pip_section(os.path.join(ROOT, "binder", "environment.yml"))
    for req in proj["dependencies"] + proj["optional-dependencies"]["cpu"]:
        name = re.split(r"[<>=!~\[ ]", req, 1)[0].strip().lower()
        assert env.get(name) == req, f"binder/environment.yml: {req!r} differs ({env.get(name)!r})"
    assert "mxnet-cu112" not in env, "Binder has no GPU: the CPU mxnet only"
    with open(os.path.join(ROOT, "binder", "environment.yml"), encoding="utf-8") as f:
        assert "python=3.11" in f.read()   # numpy 1.23.5 has no wheels for Python >= 3.12
