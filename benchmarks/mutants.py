"""Mutation testing of the package's core rules: apply one mutation at a time, run the tests that guard
it, and expect them to fail (``make mutants``; exit 1 if any mutation survives). ``python -m
benchmarks.mutants [--rev HEAD] [WORD ...]``: the committed code instead of the checkout, only the
mutants whose name holds a WORD. A kill counts only when the same tests pass without the mutation.

A short script rather than mutmut: each mutation is a deliberate, documented change of one rule (the
ones a reviewer found the suite blind to), not a random operator swap, and each runs only its own tests
(a space-separated list of test files or node ids, ``pytest -x``: the first failure kills the mutant).

The mutations are applied to a copy of the checkout (``results/`` and ``notebooks/`` linked, not copied),
never to the checkout itself: a training process that starts meanwhile (a campaign, a notebook) imports
the package from the checkout and must not pick up a mutated rule. The tests run in the copy, with
``PYTHONPATH`` on it so their child processes import the mutated package too.
"""
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LINKED = ("results", "notebooks")                     # large and read-only here: linked into the copy
SKIPPED = (".git", ".venv", ".pytest_cache", "__pycache__", "vaegan_gluon.egg-info")

# (name, file, exact text, replacement, tests that must fail)
MUTANTS = [
    ("claims: a z threshold of 2 SE instead of t quantiles", "vaegan_gluon/claims/rule.py",
     'if out["p_predicted"] < ALPHA:', 'if w["effect"] > 2 * w["se"]:', "tests/test_claims.py"),
    ("claims: K = 3 standard errors", "vaegan_gluon/claims/rule.py",
     'if out["p_predicted"] < ALPHA:', 'if w["effect"] > 3 * w["se"]:', "tests/test_claims.py"),
    ("claims: <= alpha instead of < alpha", "vaegan_gluon/claims/rule.py",
     'if out["p_predicted"] < ALPHA:', 'if out["p_predicted"] <= ALPHA:', "tests/test_claims.py"),
    ("claims: pooled df (n_o + n_r - 2) instead of Welch's", "vaegan_gluon/claims/rule.py",
     "df = (vo + vr) ** 2 / (vo ** 2 / (ours[\"n\"] - 1) + vr ** 2 / (ref[\"n\"] - 1))",
     "df = float(ours[\"n\"] + ref[\"n\"] - 2)", "tests/test_claims.py"),
    ("claims: the direction ignored", "vaegan_gluon/claims/rule.py",
     'sign = 1.0 if better == "higher" else -1.0', "sign = 1.0",
     "tests/test_claims.py"),
    ("claims: not significant scored as does not hold", "vaegan_gluon/claims/rule.py",
     'elif out["p_opposite"] < ALPHA or equivalent(w, delta):', "elif True:", "tests/test_claims.py"),
    ("claims: the hair bar on the point estimate", "vaegan_gluon/claims/gates.py",
     'ok = ok and lb >= BARS["hair_colour"]', 'ok = ok and hair >= BARS["hair_colour"]', "tests/test_claims.py"),
    # the training rules (issue 34): tests/test_core_rules.py holds their hand computations at the study's values
    ("learnable loss: the VAE step uses disc weight 1.0, not the configured one",
     "vaegan_gluon/train/schemes/learnable_loss.py",
     'n, pbp_w, disc_w = batch_size(batch), weights["pbp_weight"], weights["disc_weight"]',
     'n, pbp_w, disc_w = batch_size(batch), weights["pbp_weight"], (1.0 if weights["disc_weight"] > 0 else 0.0)',
     "tests/test_core_rules.py tests/test_lesson.py"),
    ("learnable loss: the disc weight capped at 1.0", "vaegan_gluon/train/trainer.py",
     '"disc_weight": self.config.disc_weight if adv_on else 0.0,',
     '"disc_weight": min(self.config.disc_weight, 1.0) if adv_on else 0.0,',
     "tests/test_core_rules.py"),
    ("gate: < instead of <= max_disc_loss", "vaegan_gluon/schedules.py",
     "return last_disc_loss <= self.max_disc_loss", "return last_disc_loss < self.max_disc_loss",
     "tests/test_schedules.py tests/test_core_rules.py"),
    ("PBP decay: combo epochs counted off by one", "vaegan_gluon/train/trainer.py",
     "n_combo_done = max(0, epoch - self.config.n_solo_epochs)",
     "n_combo_done = max(0, epoch - self.config.n_solo_epochs + 1)",
     "tests/test_schedules.py tests/test_core_rules.py"),
    ("PBP decay: the schedule's steps off by one", "vaegan_gluon/schedules.py",
     "return self.initial * self.decay ** (int(n_combo_epochs_done) // self.every)",
     "return self.initial * self.decay ** ((int(n_combo_epochs_done) + 1) // self.every)",
     "tests/test_schedules.py tests/test_core_rules.py"),
    ("phase: the solo -> combo switch one epoch late", "vaegan_gluon/train/trainer.py",
     'return "solo" if (self.disc is None or epoch < self.config.n_solo_epochs) else "combo"',
     'return "solo" if (self.disc is None or epoch <= self.config.n_solo_epochs) else "combo"',
     "tests/test_core_rules.py"),
    ("NaN guard: restores the newest checkpoint, not the last good one", "vaegan_gluon/train/trainer.py",
     "path, state, note = ckpt.restore_newest(self.checkpoint_dir, self._restore)",
     "path = ckpt.latest_checkpoint(self.checkpoint_dir); state, note = self._restore(path), None",
     "tests/test_reliability_round2.py::test_nan_guard_with_a_truncated_newest_checkpoint_says_what_it_restored"),
    ("larsen: the GAN term in the encoder's loss", "vaegan_gluon/train/schemes/larsen.py",
     "enc_loss = self.kl_weight * kl / mu.shape[1] + feat", "enc_loss = self.kl_weight * kl / mu.shape[1] + feat + adv",
     "tests/test_schemes.py::test_larsen_each_network_gets_only_its_own_loss_gradient"),
    ("checkpoint fallback: the previous checkpoint skipped", "vaegan_gluon/train/checkpoint.py",
     "    for path in order:\n        problem = verify_checkpoint(path)",
     "    for path in order[:1] + order[2:]:\n        problem = verify_checkpoint(path)",
     # (test_faults.py's resume fallbacks catch it too, while their grad_ratio column resumes exactly)
     "tests/test_reliability_round2.py::test_nan_guard_with_a_truncated_newest_checkpoint_says_what_it_restored"),
]


def _ignore(folder, names):
    top = os.path.abspath(folder) == ROOT
    return [n for n in names if n in SKIPPED or n.endswith(".pyc") or (top and n in LINKED)]


def sandbox(rev=None):
    """A copy of the checkout to mutate (see the module docstring), or of git revision ``rev`` (``--rev
    HEAD``: the committed code, without anyone's uncommitted work); the caller removes it."""
    where = tempfile.mkdtemp(prefix="vaegan-mutants-")
    copy = os.path.join(where, "repo")
    if rev:
        os.makedirs(copy)
        archive = subprocess.run(["git", "archive", rev], cwd=ROOT, capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", copy], input=archive, check=True)
        for name in LINKED:
            shutil.rmtree(os.path.join(copy, name), ignore_errors=True)
    else:
        shutil.copytree(ROOT, copy, ignore=_ignore, symlinks=True)
    for name in LINKED:
        if os.path.exists(os.path.join(ROOT, name)):
            os.symlink(os.path.join(ROOT, name), os.path.join(copy, name))
    return copy


def pytest(tests, copy):
    env = dict(os.environ, PYTHONPATH=copy + (os.pathsep + os.environ["PYTHONPATH"]
                                              if os.environ.get("PYTHONPATH") else ""))
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider"] + tests.split(),
                          cwd=copy, env=env, capture_output=True, text=True)


def run(mutant, copy):
    name, rel, old, new, tests = mutant
    path = os.path.join(copy, rel)
    with open(path) as f:
        original = f.read()
    if original.count(old) != 1:
        return name, "mutation does not apply (the code changed: update benchmarks/mutants.py)"
    try:
        with open(path, "w") as f:
            f.write(original.replace(old, new))
        r = pytest(tests, copy)
    finally:
        with open(path, "w") as f:
            f.write(original)
    if r.returncode not in (0, 1):   # 2-5: interrupted, internal error, usage error, no tests: not a kill
        return name, f"ERROR (pytest exit {r.returncode}: {(r.stdout + r.stderr).strip().splitlines()[-1:]})"
    return name, "killed" if r.returncode != 0 else "SURVIVED"


def main():
    args = sys.argv[1:]
    rev = None
    if "--rev" in args:   # mutate a git revision instead of the checkout as it is
        i = args.index("--rev")
        rev, args = args[i + 1], args[:i] + args[i + 2:]
    only = args   # optional: run only the mutants whose name contains one of these words
    todo = [m for m in MUTANTS if not only or any(w in m[0] for w in only)]
    copy = sandbox(rev)
    try:
        # a kill counts only if the same tests pass on the unmutated copy
        baseline = {t: pytest(t, copy).returncode for t in dict.fromkeys(m[4] for m in todo)}
        results = []
        for m in todo:
            if baseline[m[4]] != 0:
                results.append((m[0], f"BASELINE FAILS (its tests fail without the mutation: {m[4]})"))
            else:
                results.append(run(m, copy))
            print(f"{results[-1][1]:>9}  {m[0]}", file=sys.stderr, flush=True)
    finally:
        shutil.rmtree(os.path.dirname(copy), ignore_errors=True)
    for name, outcome in results:
        print(f"{outcome:>9}  {name}")
    survived = [n for n, o in results if o != "killed"]
    print(f"{len(results) - len(survived)} of {len(results)} mutations killed")
    return 1 if survived else 0


if __name__ == "__main__":
    sys.exit(main())
