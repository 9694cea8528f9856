"""The committed notebooks come from one commit: the cell that applies the parameters prints
``commit: <hash>  scale: <scale>`` (``print_provenance``), and every notebook must carry the same,
clean (not ``+dirty``) commit of this repository.

Re-execute them with ``make notebooks`` (``NB_PARAMS="-p resume True"`` re-evaluates finished runs)
from a clean checkout of one commit, and commit the outputs alone (the commit they print stays the
code's). Re-executing one notebook alone after a code change makes this test fail, which is the point.
All of them are executed at one scale too (docs/notebooks.md says which, and why).
"""
import glob
import os
import re
import subprocess

import nbformat

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NOTEBOOKS = sorted(glob.glob(os.path.join(ROOT, "notebooks", "[0-9]*.ipynb")))
LINE = re.compile(r"^commit: (\S+)  scale: (\S+)\s*$", re.M)


def provenance(path):
    """``(commit, scale)`` printed by the notebook's provenance cell, or None when it printed none."""
    nb = nbformat.read(path, as_version=4)
    cells = [c for c in nb.cells if c.cell_type == "code" and "print_provenance(" in c.source]
    assert len(cells) == 1, f"{os.path.basename(path)}: exactly one cell must call print_provenance"
    text = "".join(o.get("text", "") for o in cells[0].get("outputs", []) if o.get("output_type") == "stream")
    found = LINE.findall(text)
    return found[0] if found else None


def test_every_notebook_carries_the_same_clean_commit_and_scale():
    seen = {os.path.basename(p): provenance(p) for p in NOTEBOOKS}
    missing = sorted(name for name, v in seen.items() if v is None)
    assert not missing, f"no commit printed (not executed since print_provenance was added): {missing}"
    commits = {name: v[0] for name, v in seen.items()}
    dirty = sorted(name for name, c in commits.items() if c.endswith("+dirty") or c.startswith("unknown"))
    assert not dirty, f"executed from uncommitted code: {dirty}"
    assert len(set(commits.values())) == 1, f"notebooks from different commits: {commits}"
    scales = {name: v[1] for name, v in seen.items()}
    assert len(set(scales.values())) == 1, f"notebooks at different scales: {scales}"
    (commit,) = set(commits.values())
    ok = subprocess.run(["git", "cat-file", "-e", f"{commit}^{{commit}}"], cwd=ROOT, capture_output=True)
    assert ok.returncode == 0, f"{commit} is not a commit of this repository"


def test_the_reading_page_names_the_committed_scale():
    (scale,) = {provenance(p)[1] for p in NOTEBOOKS}
    with open(os.path.join(ROOT, "docs", "notebooks.md")) as f:
        text = f.read()
    assert f"committed outputs are at `{scale}` scale" in text, "docs/notebooks.md must say the outputs' scale"
