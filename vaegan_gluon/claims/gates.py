"""Validity gates: could each group of runs show the effect a claim is about? (read from run folders)

A claim is tested only when both of its groups could show the effect. Each gate is checked per seed (at
the run's *final* state, except ``disc_learned``), with its bar in
:data:`.catalogue.BARS`; a group passes a gate when every seed does (a group whose seeds split is
reported with the seeds that failed, never averaged away).

- ``disc_learned`` (groups trained with a discriminator): the discriminator learned, its accuracy reached
  0.6 (real and fake averaged) in at least one combo epoch; the reason names its best epoch and its
  accuracy at the end. This is the training-mode accuracy, measured on the very batches and BatchNorm
  statistics the adversarial gradient is computed from. BatchNorm cannot fool it: every batch is all-real
  or all-fake, and BatchNorm removes each feature's batch mean and variance, so a batch-level offset cannot
  separate the two; what is left is per-image evidence, the signal the VAE receives. The held-out accuracy
  with *running* statistics is not used for the gate (the ResNet reads 0.00 / 1.00 there in most runs:
  running statistics averaged over real and fake batches fit neither). The gate asks whether the setup
  could show the effect, not whether the discriminator still wins at the end: a VAE that catches up with
  a discriminator that had learned (the adaptive weight x 0.8 on MNIST drives the DenseLogReg from 0.93 to
  chance) is the arm's outcome, and dropping that seed would select on it. A discriminator that never
  learned (the faces DenseLogReg, at most 0.48) fails it.
- ``term_on`` (groups trained with a discriminator): the adversarial term was on (``adv_on`` and, where the
  scheme has one, ``beta > 0``) in at least half of the combo epochs.
  Neither discriminator gate applies to the ``ours`` group of a claim whose discriminator is idle by design
  (the catalogue's ``idle_disc``: the AE-GAN at beta 0, whose claim is that the term never reaches the AE).
- ``samples_are_images`` (groups with a discriminator, in claims about samples): the prior samples'
  precision in the extractor's space is at least 0.3.
- ``baseline_bar`` (the reference group): the VAE has left the mean-image stage, ``fid_recon <= 0.5 *
  fid_mean_image`` at the final state; on faces, the lower one-sided 95 % Clopper-Pearson bound of the
  hair-colour agreement clears 0.9 (so that 2 images of 640 cannot decide it). A reference trained with
  a discriminator after solo epochs is held to the hair bar at the switch (its VAE alone), because its
  final hair colour is the discriminator's own effect.
"""
import math

from scipy import stats

from .catalogue import BARS

SAMPLE_METRICS = ("fid_samples", "mode_coverage.n_covered", "mode_coverage.kl_to_uniform", "recall", "blur_samples",
                  "kid_samples")
GATES = ("disc_learned", "term_on", "samples_are_images", "baseline_bar")


def get_path(d, dotted, default=None):
    """``d["a"]["b"]`` for ``"a.b"``; ``default`` when any part is missing."""
    for part in dotted.split("."):
        if not isinstance(d, dict) or part not in d:
            return default
        d = d[part]
    return d


def _f(x):
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def combo_rows(run):
    """The combo epochs of a run's ``training_statistics.csv`` (list of dicts; empty if none)."""
    return [r for r in run.get("stats") or [] if r.get("phase") == "combo"]


def has_disc(run):
    return bool(run["config"].get("disc"))


def lower_bound(rate, n, level=0.95):
    """Lower one-sided ``level`` Clopper-Pearson bound of a binomial rate observed on ``n`` trials."""
    k = round(rate * n)
    return 0.0 if k == 0 else float(stats.beta.ppf(1 - level, k, n - k + 1))


def disc_accuracy(run):
    """The discriminator's training accuracy (real and fake averaged) over the combo epochs: ``(best, its
    combo epoch from 1, last, n combo epochs)``; None when no combo epoch recorded it."""
    rows = combo_rows(run)
    accs = []
    for r in rows:
        real, fake = _f(r.get("disc_acc_real")), _f(r.get("disc_acc_fake"))
        accs.append(None if real is None or fake is None else (real + fake) / 2)
    seen = [(a, i) for i, a in enumerate(accs) if a is not None]
    if not seen:
        return None
    best, at = max(seen)
    return best, at + 1, accs[-1], len(rows)


def disc_best_last(run):
    """``[best, last]`` of :func:`disc_accuracy` for a run trained with a discriminator, None otherwise."""
    acc = disc_accuracy(run) if has_disc(run) else None
    return None if acc is None else [acc[0], acc[2]]


def disc_learned(run):
    if not combo_rows(run):
        return False, "no combo epoch"
    acc = disc_accuracy(run)
    if acc is None:
        return None, "no discriminator accuracy recorded"
    best, at, last, n = acc
    end = f"{last:.2f} at the end" if last is not None else "none recorded at the end"
    return best >= BARS["disc_balanced_accuracy"], \
        f"training accuracy {best:.2f} at best (combo epoch {at} of {n}), {end}"


def term_on(run):
    rows = combo_rows(run)
    if not rows:
        return False, "no combo epoch"
    on = 0
    for r in rows:
        beta = _f(r.get("beta"))
        weight = _f(r.get("disc_weight"))
        on += r.get("adv_on") == "True" and (beta is None or beta > 0) and (weight is None or weight > 0)
    share = on / len(rows)
    return share >= BARS["term_on_share"], f"on in {on} of {len(rows)} combo epochs"


def samples_are_images(run):
    p = _f(run["metrics"].get("precision"))
    if p is None:
        return None, "no sample precision recorded"
    return p >= BARS["sample_precision"], f"sample precision {p:.3f}"


def baseline_bar(run):
    m = run["metrics"]
    fid, ceiling = _f(m.get("fid_recon")), _f(m.get("fid_mean_image"))
    notes, ok = [], True
    if fid is not None and ceiling:
        ok = fid <= BARS["fid_recon_over_mean_image"] * ceiling
        notes.append(f"fid_recon / fid_mean_image {fid / ceiling:.3f}")
    at = m.get("at_switch") if has_disc(run) and m.get("at_switch") else m
    hair = _f(get_path(at, "attr_acc_recon.hair_colour"))
    if hair is not None:
        n = int(at.get("n_eval_images") or m.get("n_eval_images") or 640)
        lb = lower_bound(hair, n)
        ok = ok and lb >= BARS["hair_colour"]
        notes.append(f"hair colour {hair:.3f} (95 % lower bound {lb:.3f}, n={n}"
                     + (f", at the switch, epoch {at.get('epoch')})" if at is not m else ")"))
    if not notes:
        return None, "no fid_recon / fid_mean_image recorded"
    return ok, "; ".join(notes)


CHECKS = {"disc_learned": disc_learned, "term_on": term_on, "samples_are_images": samples_are_images,
          "baseline_bar": baseline_bar}


def gates_for(claim, side, runs):
    """The gates that apply to one group of a claim (``side``: "ours" or "reference")."""
    with_disc = bool(runs) and any(has_disc(r) for r in runs) and not (side == "ours" and claim.get("idle_disc"))
    names = []
    if with_disc:
        names += ["disc_learned", "term_on"]
        if claim["metric"] in SAMPLE_METRICS:
            names.append("samples_are_images")
    # time claims are about the work a run does, not its quality: no baseline bar
    if side == "reference" and claim["metric"] != "train_seconds":
        names.append("baseline_bar")
    return names


def check_group(claim, side, runs):
    """Every gate of one group, per seed: ``{gate: {"passed": bool|None, "seeds": {seed: [ok, why]}}}``.

    A gate passes when every seed passes; None when no seed recorded what it needs."""
    out = {}
    for name in gates_for(claim, side, runs):
        per = {str(r["seed"]): list(CHECKS[name](r)) for r in runs}
        oks = [v[0] for v in per.values()]
        passed = None if all(o is None for o in oks) else all(o is not False for o in oks)
        out[name] = {"passed": passed, "seeds": per}
    return out


def engaged(run):
    """Did the adversarial term move the reconstructions? (runs scored at the switch: fid_recon fell by
    at least 20 % from the switch to the end); None when the run has no switch scores."""
    at = run["metrics"].get("at_switch") or {}
    before, after = _f(at.get("fid_recon")), _f(run["metrics"].get("fid_recon"))
    if before is None or after is None:
        return None
    return after <= 0.8 * before


def passes_bar(metrics):
    """The baseline bar for one run's metrics dict (a VAE alone, or any run's final state): True / False,
    None when the metrics do not say."""
    return baseline_bar({"config": {}, "metrics": metrics})[0]
