"""Mutation testing of the package's core rules: apply one mutation at a time, run the tests that guard
it, and expect them to fail (``make mutants``; exit 1 if any mutation survives).

A short script rather than mutmut: each mutation is a deliberate, documented change of one rule (the
ones a reviewer found the suite blind to), not a random operator swap, and each runs only its own tests.
"""
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

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
     'w = welch(ours, ref, 1.0 if better == "higher" else -1.0)', "w = welch(ours, ref, 1.0)",
     "tests/test_claims.py"),
    ("claims: not significant scored as does not hold", "vaegan_gluon/claims/rule.py",
     'elif out["p_opposite"] < ALPHA or equivalent(w, delta):', "elif True:", "tests/test_claims.py"),
    ("claims: the hair bar on the point estimate", "vaegan_gluon/claims/gates.py",
     'ok = ok and lb >= BARS["hair_colour"]', 'ok = ok and hair >= BARS["hair_colour"]', "tests/test_claims.py"),
]


def run(mutant):
    name, rel, old, new, tests = mutant
    path = os.path.join(ROOT, rel)
    with open(path) as f:
        original = f.read()
    if original.count(old) != 1:
        return name, "mutation does not apply (the code changed: update benchmarks/mutants.py)"
    try:
        with open(path, "w") as f:
            f.write(original.replace(old, new))
        r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", tests],
                           cwd=ROOT, capture_output=True, text=True)
    finally:
        with open(path, "w") as f:
            f.write(original)
    return name, "killed" if r.returncode != 0 else "SURVIVED"


def main():
    results = [run(m) for m in MUTANTS]
    for name, outcome in results:
        print(f"{outcome:>9}  {name}")
    survived = [n for n, o in results if o != "killed"]
    print(f"{len(results) - len(survived)} of {len(results)} mutations killed")
    return 1 if survived else 0


if __name__ == "__main__":
    sys.exit(main())
