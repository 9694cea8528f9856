"""The rule that turns two groups of per-seed values into a verdict (Welch's t, TOST, power).

Every claim compares one metric of two groups of runs, *ours* and the *reference*, each a list of
per-seed values. The groups are independent seeds (unpaired), so the test is Welch's t with its own
degrees of freedom and t quantiles (scipy.stats); alpha = 0.05. The effect is signed so that a positive
number is the direction the claim predicts ("better" for ours). The margin ``delta`` is stated by the
catalogue before the data (:mod:`.catalogue`).

Kinds of claim and their verdicts:

- ``directional`` ("X sharpens"): one-sided. **holds** if significant in the predicted direction;
  **does not hold** if significant in the opposite direction, or equivalent within delta (TOST: the
  90 % CI of the effect inside (-delta, delta)); else **inconclusive**, with the minimum detectable
  effect at 80 % power and the seeds per group that would bring it under delta.
- ``noninferiority`` ("costs at most delta"): the cost is -effect. **holds** if the one-sided 95 % upper
  bound of the cost is below delta; **does not hold** if the lower bound is above delta.
- ``equivalence`` ("almost identical"): **holds** by TOST within delta; **does not hold** if the 90 % CI
  lies entirely beyond +delta or -delta.
- ``exploratory`` ("does X change Y?", a question the source shows without a conclusion): two-sided.
  **changes** if the 95 % CI excludes 0; **equivalent within delta** by TOST; else **no change shown**.

Sweep arms that share each seed's data order and initialisation with their baseline are compared
paired (the one-sample t of the per-seed differences, n - 1 degrees of freedom): the seed-to-seed spread
the arms share cancels.

Nothing here reads run folders: :mod:`.board` does, and applies the validity gates first.
"""
import math

from scipy import stats

ALPHA = 0.05
POWER = 0.80
KINDS = ("directional", "noninferiority", "equivalence", "exploratory")
# verdicts of the claim kinds (exploratory rows have their own words) and of the board's other states
CLAIM_VERDICTS = ("holds", "does not hold", "inconclusive")
EXPLORATORY_VERDICTS = ("changes", "equivalent within delta", "no change shown")
OTHER_VERDICTS = ("invalid", "untested")
RULE = ("Welch's t with its degrees of freedom, alpha 0.05. Directional claims (one-sided): holds if "
        "significant in the predicted direction; does not hold only if significant in the opposite direction "
        "or equivalent within the stated margin delta (TOST, 90 % CI inside ±delta); else inconclusive, with "
        "the minimum detectable effect (80 % power) and the seeds per group that would bring it under delta. "
        "Cost claims: holds if the 95 % upper bound of the cost < delta. Exploratory questions (two-sided): "
        "changes / equivalent within delta / no change shown. A group failing a validity gate makes the row "
        "invalid; groups trained by different code make it inconclusive.")


def summarise(values):
    """``{"values", "mean", "sd", "n"}`` of the finite values (sd: sample standard deviation, None if n < 2)."""
    vals = [float(v) for v in values if v is not None and math.isfinite(float(v))]
    n = len(vals)
    mean = sum(vals) / n if n else None
    sd = math.sqrt(sum((v - mean) ** 2 for v in vals) / (n - 1)) if n > 1 else None
    return {"values": vals, "mean": mean, "sd": sd, "n": n}


def welch(ours, ref, sign=1.0):
    """Welch's comparison of two summaries: ``{"effect", "se", "df", "t"}``; effect = sign * (ours - ref).

    ``df`` follows Welch-Satterthwaite; with both standard deviations 0 it is ``n_o + n_r - 2`` and ``t``
    is +-inf (or nan for a zero effect)."""
    effect = sign * (ours["mean"] - ref["mean"])
    vo, vr = ours["sd"] ** 2 / ours["n"], ref["sd"] ** 2 / ref["n"]
    se = math.sqrt(vo + vr)
    if se == 0.0:
        df = float(ours["n"] + ref["n"] - 2)
        t = math.copysign(math.inf, effect) if effect else math.nan
    else:
        df = (vo + vr) ** 2 / (vo ** 2 / (ours["n"] - 1) + vr ** 2 / (ref["n"] - 1))
        t = effect / se
    return {"effect": effect, "se": se, "df": df, "t": t}


def tq(p, df):
    """The ``p`` quantile of Student's t with ``df`` degrees of freedom."""
    return float(stats.t.ppf(p, df))


def ci(w, level):
    """The two-sided ``level`` confidence interval of the effect."""
    h = tq(0.5 + level / 2, w["df"]) * w["se"]
    return [w["effect"] - h, w["effect"] + h]


def p_greater(w):
    """One-sided p-value of "effect > 0"."""
    if w["se"] == 0.0:
        return 0.0 if w["effect"] > 0 else 1.0
    return float(stats.t.sf(w["t"], w["df"]))


def p_less(w):
    """One-sided p-value of "effect < 0"."""
    if w["se"] == 0.0:
        return 0.0 if w["effect"] < 0 else 1.0
    return float(stats.t.cdf(w["t"], w["df"]))


def equivalent(w, delta):
    """TOST at ``ALPHA``: the 90 % CI of the effect lies inside (-delta, delta)."""
    lo, hi = ci(w, 1 - 2 * ALPHA)
    return delta is not None and -delta < lo and hi < delta


def mde(sd_o, sd_r, n_o, n_r, two_sided=False, alpha=ALPHA, power=POWER):
    """The minimum detectable effect of Welch's test at ``power`` (normal-theory with t quantiles)."""
    vo, vr = sd_o ** 2 / n_o, sd_r ** 2 / n_r
    se = math.sqrt(vo + vr)
    if se == 0.0:
        return 0.0
    df = (vo + vr) ** 2 / (vo ** 2 / max(n_o - 1, 1) + vr ** 2 / max(n_r - 1, 1))
    a = alpha / 2 if two_sided else alpha
    return (tq(1 - a, df) + tq(power, df)) * se


def seeds_needed(sd_o, sd_r, delta, two_sided=False, n_max=200):
    """The smallest n per group (equal groups, the observed sds) with MDE <= delta; None beyond ``n_max``."""
    if delta is None or sd_o is None or sd_r is None:
        return None
    for n in range(2, n_max + 1):
        if mde(sd_o, sd_r, n, n, two_sided) <= delta:
            return n
    return None


def paired(diffs, sign=1.0):
    """The one-sample t of per-seed differences (ours - reference, same seed): ``{"effect", "se", "df", "t"}``."""
    effect = sign * diffs["mean"]
    se = diffs["sd"] / math.sqrt(diffs["n"])
    t = effect / se if se else (math.copysign(math.inf, effect) if effect else math.nan)
    return {"effect": effect, "se": se, "df": float(diffs["n"] - 1), "t": t}


def mde_paired(sd_d, n, two_sided=False, alpha=ALPHA, power=POWER):
    """The minimum detectable mean difference of a paired t-test over ``n`` seeds."""
    a = alpha / 2 if two_sided else alpha
    return (tq(1 - a, n - 1) + tq(power, n - 1)) * sd_d / math.sqrt(n)


def seeds_needed_paired(sd_d, delta, two_sided=False, n_max=200):
    """The smallest number of paired seeds with :func:`mde_paired` <= delta; None beyond ``n_max``."""
    if delta is None or sd_d is None:
        return None
    return next((n for n in range(2, n_max + 1) if mde_paired(sd_d, n, two_sided) <= delta), None)


def judge(kind, ours, ref, better, delta, diffs=None):
    """The verdict of :data:`RULE` for two summaries (each with n >= 2); returns a dict with the verdict,
    the effect (positive = the predicted direction), its SE, df, t, one-sided p-values, 90 % and 95 % CIs,
    the MDE at 80 % power and the seeds per group that would bring the MDE under ``delta``.

    With ``diffs`` (the summary of per-seed differences ours - reference, for arms that share each seed's
    data order and initialisation) the test is the paired t with n - 1 degrees of freedom."""
    if kind not in KINDS:
        raise ValueError(f"claim kind {kind!r}: valid kinds are {', '.join(KINDS)}")
    sign = 1.0 if better == "higher" else -1.0
    two_sided = kind in ("exploratory", "equivalence")
    if diffs is not None:
        w = paired(diffs, sign)
        power = {"mde": mde_paired(diffs["sd"], diffs["n"], two_sided),
                 "seeds_needed": seeds_needed_paired(diffs["sd"], delta, two_sided), "paired": True}
    else:
        w = welch(ours, ref, sign)
        power = {"mde": mde(ours["sd"], ref["sd"], ours["n"], ref["n"], two_sided),
                 "seeds_needed": seeds_needed(ours["sd"], ref["sd"], delta, two_sided), "paired": False}
    out = {**w, "p_predicted": p_greater(w), "p_opposite": p_less(w), "ci90": ci(w, 0.90), "ci95": ci(w, 0.95),
           "delta": delta, **power}
    if kind == "directional":
        if out["p_predicted"] < ALPHA:
            v = "holds"
        elif out["p_opposite"] < ALPHA or equivalent(w, delta):
            v = "does not hold"
        else:
            v = "inconclusive"
    elif kind == "noninferiority":
        # cost = -effect; its one-sided 95 % bounds are the 90 % CI's ends
        cost_lo, cost_hi = -out["ci90"][1], -out["ci90"][0]
        v = "holds" if cost_hi < delta else "does not hold" if cost_lo > delta else "inconclusive"
    elif kind == "equivalence":
        lo, hi = out["ci90"]
        v = "holds" if equivalent(w, delta) else "does not hold" if lo > delta or hi < -delta else "inconclusive"
    else:
        lo, hi = out["ci95"]
        v = "changes" if lo > 0 or hi < 0 else "equivalent within delta" if equivalent(w, delta) else "no change shown"
    out["verdict"] = v
    return out
