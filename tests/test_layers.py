"""The package's imports run one way (../shared/DESIGN.md): no cycle, and no module imports a layer above its own.

Every ``import`` / ``from`` of a package module counts, function-local ones too (a lazy import is still a
dependency). Edges between a package and its own submodules are not counted (``evaluation/__init__``
re-exporting ``evaluation.scores`` is one piece, not two).
"""
import ast
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE = "vaegan_gluon"

#: bottom to top; a module may import its own layer and the layers below. The first matching prefix
#: (longest first) places a module; a module at the package root is listed by name. ``runlock`` (one writer
#: per results folder) imports nothing of the package. ``distributed`` is below ``train`` (train.kvsync asks a
#: worker's rank);
#: ``fast`` (the performance wing) sits with ``train``, whose steps it replaces behind a switch; ``doctor``
#: diagnoses everything, so it sits with the command line.
LAYERS = [
    ("base", ["vaegan_gluon", "vaegan_gluon.utils", "vaegan_gluon.runlock", "vaegan_gluon.distributed"]),
    ("data/models", ["vaegan_gluon.data", "vaegan_gluon.models"]),
    ("losses/inference", ["vaegan_gluon.losses", "vaegan_gluon.schedules", "vaegan_gluon.inference"]),
    ("evaluation/viz", ["vaegan_gluon.evaluation", "vaegan_gluon.viz"]),
    ("train", ["vaegan_gluon.train", "vaegan_gluon.fast"]),
    ("report/claims", ["vaegan_gluon.report", "vaegan_gluon.claims"]),
    ("experiments", ["vaegan_gluon.experiments"]),
    ("cli", ["vaegan_gluon.cli", "vaegan_gluon.__main__", "vaegan_gluon.doctor"]),
]

#: (importer, imported): upward imports known and owned, each with its reason and who removes it.
EXCEPTIONS = {}


def modules():
    """``{dotted name: path}`` of every module of the package (a package is its ``__init__``)."""
    out = {}
    for d, dirs, files in os.walk(os.path.join(ROOT, PACKAGE)):
        dirs[:] = [x for x in dirs if x != "__pycache__"]
        for f in files:
            if f.endswith(".py"):
                path = os.path.join(d, f)
                name = os.path.relpath(path, ROOT)[:-3].replace(os.sep, ".")
                out[name[: -len(".__init__")] if name.endswith(".__init__") else name] = path
    return out


def imports(mods):
    """``{module: {imported module, ...}}`` within the package, read with ast."""
    def resolve(name):
        while name and name not in mods:
            name = name.rpartition(".")[0]
        return name or None

    edges = {}
    for m, path in mods.items():
        with open(path, encoding="utf-8") as f:
            tree = ast.parse(f.read())
        parts = m.split(".") if path.endswith("__init__.py") else m.split(".")[:-1]
        found = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    base = ".".join(parts[: len(parts) - (node.level - 1)] + ([base] if base else []))
                targets = [base + "." + a.name for a in node.names] + [base]
            else:
                continue
            for t in targets:
                r = resolve(t) if t.split(".")[0] == PACKAGE else None
                if r and r != m and not m.startswith(r + ".") and not r.startswith(m + "."):
                    found.add(r)
        edges[m] = found
    return edges


def layer_of(module):
    best = None
    for i, (_, prefixes) in enumerate(LAYERS):
        for p in prefixes:
            inside = module == p or (p != PACKAGE and module.startswith(p + "."))   # the root: listed by name
            if inside and (best is None or len(p) > len(best[1])):
                best = (i, p)
    return None if best is None else best[0]


def cycles(edges):
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


@pytest.fixture(scope="module")
def edges():
    return imports(modules())


def test_every_module_has_a_layer(edges):
    assert [m for m in edges if layer_of(m) is None] == []


def test_no_import_cycle(edges):
    assert cycles(edges) == []


def test_no_upward_import(edges):
    upward = sorted(f"{m} ({LAYERS[layer_of(m)][0]}) imports {t} ({LAYERS[layer_of(t)][0]})"
                    for m, ts in edges.items() for t in ts
                    if layer_of(t) > layer_of(m) and (m, t) not in EXCEPTIONS)
    assert upward == []


def test_every_exception_is_still_needed(edges):
    """An exception whose import is gone (or no longer upward) is deleted, so the list stays true."""
    stale = [pair for pair in EXCEPTIONS if pair[1] not in edges.get(pair[0], ()) or
             layer_of(pair[1]) <= layer_of(pair[0])]
    assert stale == []


def test_the_checker_sees_lazy_upward_imports_and_cycles():
    edges = {"vaegan_gluon.viz": {"vaegan_gluon.train.trainer"}, "vaegan_gluon.train.trainer": {"vaegan_gluon.viz"}}
    assert cycles(edges) == [["vaegan_gluon.train.trainer", "vaegan_gluon.viz"]]
    assert layer_of("vaegan_gluon.train.trainer") > layer_of("vaegan_gluon.viz")
    assert layer_of("vaegan_gluon.distributed.worker") < layer_of("vaegan_gluon.train.kvsync")
