"""The notebooks' text against what they ran and against the claims board.

(a) Every notebook's generated "What the claims board says" block, the note above its claims cell and that
cell's stored output equal what :mod:`vaegan_gluon.experiments.claims_text` renders from the committed
``results/reference/claims.json``, so the board and the notebooks cannot drift (regenerate with
``python -m vaegan_gluon.experiments.claims_text notebooks/``).

(b) No markdown heading of a notebook, and no sentence of its title cell that is not about the study,
names a model size (``ConvVAE(512, 32)``), an image size (``64×64``) or an epoch count (``200 combo
epochs``) other than those of the configurations that ran at the scale the outputs come from (the scale
its provenance cell printed).
"""
import ast
import glob
import os
import re

import nbformat
import pytest

from vaegan_gluon.experiments import claims_text as cnb

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NOTEBOOKS = sorted(glob.glob(os.path.join(ROOT, "notebooks", "[0-9]*.ipynb")))
CLAIMS = os.path.join(ROOT, "results", "reference", "claims.json")
IDS = [os.path.basename(p) for p in NOTEBOOKS]


def _read(path):
    return nbformat.read(path, as_version=4)


# ------------------------------------------------------------------ (a) the board in the notebooks
@pytest.mark.skipif(not os.path.exists(CLAIMS), reason="no committed claims board")
@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_generated_claims_block_matches_the_board(path):
    nb = _read(path)
    names = cnb.experiment_names(nb)
    assert names, "no cell calls show_claims(...)"
    block = cnb.generated_block(nb)
    assert block is not None, "no generated claims block: run python -m vaegan_gluon.experiments.claims_text notebooks/"
    assert block == cnb.render_block(names, CLAIMS), \
        "the claims block is stale: run python -m vaegan_gluon.experiments.claims_text notebooks/"
    seen = [c.source for c in nb.cells if c.cell_type == "markdown" and cnb.BEGIN in c.source]
    assert len(seen) == 1 and seen[0].lstrip().startswith(cnb.SEEN_HEADING), "the block belongs in 'What we saw'"


@pytest.mark.skipif(not os.path.exists(CLAIMS), reason="no committed claims board")
@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_claims_cell_output_is_the_committed_board(path):
    nb = _read(path)
    names = cnb.experiment_names(nb)
    i, _ = cnb.claims_call(nb)
    stored = [dict(o) for o in nb.cells[i].outputs]
    assert stored == [dict(o) for o in cnb.claims_outputs(names, CLAIMS)], \
        ("the claims cell's output is not the committed board: run "
         "python -m vaegan_gluon.experiments.claims_text notebooks/")
    assert cnb.output_note(CLAIMS) in nb.cells[i - 1].source, "the note naming the board's commit is stale"


def test_regenerate_is_idempotent(tmp_path):
    import shutil
    src = os.path.join(ROOT, "notebooks", "06_resnet_discriminator.ipynb")
    dst = tmp_path / "06_resnet_discriminator.ipynb"
    shutil.copy(src, dst)
    cnb.regenerate(str(dst), CLAIMS)
    once = dst.read_text()
    assert cnb.regenerate(str(dst), CLAIMS) == []
    assert dst.read_text() == once


def test_splice_replaces_only_between_the_markers():
    text = f"## What we saw\n\nprose\n\n{cnb.BEGIN}\nold\n{cnb.END}\n\nafter"
    new = cnb._splice_text(text, f"{cnb.BEGIN}\nnew\n{cnb.END}")
    assert new == f"## What we saw\n\nprose\n\n{cnb.BEGIN}\nnew\n{cnb.END}\n\nafter"
    assert cnb._splice_text("## What we saw\n\nprose\n", "B") == "## What we saw\n\nprose\n\nB"


def test_block_of_a_claim_has_verdict_values_and_ci():
    claim = {"id": "x", "statement": "faces: a thing sharpens", "verdict": "holds", "reason": "p 0.01",
             "metric": "blur_recon", "better": "higher", "delta": 50.0,
             "ours": {"values": [1200.0, 1300.0], "seeds": [0, 1], "mean": 1250.0, "n": 2},
             "reference": {"values": [500.0, 520.0], "seeds": [0, 1], "mean": 510.0, "n": 2},
             "test": {"effect": 740.0, "ci90": [600.0, 880.0]},
             "selection": {"ours": {"experiment": "a", "where": {}}, "reference": {"experiment": "b", "where": {}}}}
    first, second = cnb.claim_lines(claim)
    assert "**holds**: p 0.01" in first and "faces: a thing sharpens" in first
    assert "1,200 / 1,300 (seeds 0, 1" in second and "500 / 520" in second
    assert "effect 740, 90 % CI [600, 880]" in second


# ------------------------------------------------------------------ (b) headings name what ran
MODEL = re.compile(r"\b([A-Z]\w*(?:VAE|Disc|LogReg))\(([^()]*)\)")
IMAGE = re.compile(r"\b(?:\d+\s*[×x]\s*)?(\d+)\s*[×x]\s*(\d+)\b")
EPOCHS = re.compile(r"\b(\d+)(?:\s*\+\s*(\d+))?\s+(?:(?:solo|combo|VAE|training)\s+)?epochs?\b", re.I)
PHASE = re.compile(r"\b(\d+)()\s+(?:solo|combo)\b", re.I)   # "20 solo + 5 combo epochs": both counts
ABOUT_THE_STUDY = re.compile(r"\bstud(?:y|ies)\b|full[- ]scale|\bat full\b|\bthe paper\b|\bLarsen et al", re.I)


def scale_of(nb):
    """The scale the provenance cell printed (``commit: <hash>  scale: <scale>``)."""
    for c in nb.cells:
        if c.cell_type == "code" and "print_provenance(" in c.source:
            text = "".join(o.get("text", "") for o in c.get("outputs", []) if o.get("output_type") == "stream")
            m = re.search(r"^commit: \S+  scale: (\S+)", text, re.M)
            if m:
                return m.group(1)
    return None


def notebook_configs(nb, scale):
    """The configs of every experiment (and sweep run) a code cell of the notebook names."""
    from vaegan_gluon.experiments import SWEEPS, get_config, list_experiments, sweep_configs
    known, names = set(list_experiments()), []
    for c in nb.cells:
        if c.cell_type != "code":
            continue
        tree = cnb._parse(c.source)
        for node in ast.walk(tree) if tree else ():
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in known \
                    and node.value not in names:
                names.append(node.value)
    configs = []
    for n in names:
        configs += [cfg for _, cfg in sweep_configs(n, scale)] if n in SWEEPS else [get_config(n, scale)]
    return configs


def allowed(configs):
    """What may be named: ``{model: [numbers]}``, ``{(h, w)}``, ``{epoch counts}``."""
    from vaegan_gluon.experiments.notebook_settings import image_shape_of
    models, images, epochs = {}, set(), set()
    for cfg in configs:
        for section in (cfg.get("vae"), cfg.get("disc")):
            if section:
                nums = tuple(v for k, v in section.items() if k != "model" and isinstance(v, (int, float))
                             and not isinstance(v, bool))
                models.setdefault(section["model"], set()).add(nums)
        _, h, w = image_shape_of(cfg)
        images.add((h, w))
        t = cfg["train"]
        solo = t.get("n_solo_epochs") or 0
        epochs |= {t["n_epochs"], solo, t["n_epochs"] - solo}
    return models, images, epochs


def mismatches(text, models, images, epochs):
    """The model sizes, image sizes and epoch counts ``text`` names that no config that ran has."""
    bad = []
    for m in MODEL.finditer(text):
        nums = tuple(float(x) for x in re.findall(r"\d+(?:\.\d+)?", m.group(2)))
        if not nums:
            continue
        known = models.get(m.group(1), set())
        if not any(tuple(float(v) for v in k[:len(nums)]) == nums for k in known):
            bad.append(f"{m.group(0)} (ran: {sorted(known) or 'no ' + m.group(1)})")
    rest = MODEL.sub(" ", text)
    for m in IMAGE.finditer(rest):
        if (int(m.group(1)), int(m.group(2))) not in images:
            bad.append(f"{m.group(0)} (ran: {sorted(images)})")
    for m in list(EPOCHS.finditer(rest)) + list(PHASE.finditer(rest)):
        for g in (m.group(1), m.group(2)):
            if g and int(g) not in epochs:
                bad.append(f"{m.group(0)!r} (ran: {sorted(epochs)} epochs)")
    return bad


def checked_text(nb):
    """Every markdown heading line (the generated block's excluded), and each sentence or list item of the
    title cell that is not about the study."""
    units = []
    for k, c in enumerate(nb.cells):
        if c.cell_type != "markdown":
            continue
        src = c.source
        if cnb.BEGIN in src:
            head, rest = src.split(cnb.BEGIN, 1)
            src = head + rest.split(cnb.END, 1)[1]
        units += [line for line in src.splitlines() if line.lstrip().startswith("#")]
        if k == min(i for i, x in enumerate(nb.cells) if x.cell_type == "markdown"):
            for para in re.split(r"\n\s*\n", src):
                if para.lstrip().startswith("#"):
                    continue
                for item in re.split(r"\n(?=\s*(?:[-*]|\d+\.)\s)", para):
                    for sentence in re.split(r"(?<=[.;])\s+(?=[A-Z*`(])", " ".join(item.split())):
                        if not ABOUT_THE_STUDY.search(sentence):
                            units.append(sentence)
    return units


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_headings_name_what_ran(path):
    nb = _read(path)
    scale = scale_of(nb)
    assert scale, "the provenance cell printed no scale"
    models, images, epochs = allowed(notebook_configs(nb, scale))
    bad = [(u, mismatches(u, models, images, epochs)) for u in checked_text(nb)]
    bad = [(u, b) for u, b in bad if b]
    assert not bad, f"at scale {scale}, the text names what did not run:\n" + "\n".join(f"  {u!r}: {b}" for u, b in bad)


def test_heading_check_catches_the_old_texts():
    from vaegan_gluon.experiments import get_config
    cfgs = [get_config(n, "medium") for n in ("anime-conv-vae", "anime-conv-vae-resnet",
                                               "anime-conv-vae1024-resnet-decay", "anime-conv-vae1024-resnet-lr2e-4")]
    models, images, epochs = allowed(cfgs)
    assert len(mismatches("### ConvVAE(512, 32) + ResNet, 200 combo epochs", models, images, epochs)) >= 2
    assert mismatches("### ConvVAE(128, 16) + ResNet, 100 solo + 5 combo epochs", models, images, epochs)
    assert mismatches("### ConvVAE(128, 16) + ResNet, 20 solo + 5 combo epochs", models, images, epochs) == []
    assert mismatches("and on 64×64 synthetic faces", models, images, epochs)
    assert mismatches("and on 32×32 synthetic faces", models, images, epochs) == []
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(
        "# Title\n\nWe compare them on MNIST and on 64×64 synthetic faces. The study's runs: ConvVAE(512, 32).")])
    units = checked_text(nb)
    assert "# Title" in units and any("64×64" in u for u in units) and not any("512" in u for u in units)


def test_claims_for_a_sweep_finds_claims_made_at_a_smaller_scale(tmp_path):
    """sweep-solo-combo varies train.n_epochs only at medium/quick; its claims name it in ``where``."""
    import json
    from vaegan_gluon.experiments.notebook import claims_for
    where = {"train.n_epochs": 8, "train.n_solo_epochs": 4}
    table = {"commit": "x", "rule": "r", "claims": [{"id": "saves-time", "selection": {
        "ours": {"experiment": "anime-conv-vae-resnet", "where": where},
        "reference": {"experiment": "anime-conv-vae-resnet", "where": {**where, "train.n_solo_epochs": 0}}}}]}
    path = tmp_path / "claims.json"
    path.write_text(json.dumps(table))
    assert [c["id"] for c in claims_for("sweep-solo-combo", str(path))["claims"]] == ["saves-time"]
    assert claims_for("sweep-disc-weight", str(path))["claims"] == []
