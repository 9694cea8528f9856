# ---
# jupyter:
#   jupytext:
#     cell_metadata_filter: -papermill,-execution,-ExecuteTime,-scrolled,-collapsed
#     notebook_metadata_filter: -kernelspec,-jupytext.text_representation.jupytext_version
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
# ---

# %% [markdown]
# # Sweep: VAE solo epochs before the discriminator joins
#
# Training against a discriminator costs more per step than training the VAE alone: every combo step runs $D$
# on the real and the reconstructed batch, updates it, and runs it once more for the VAE's adversarial term.
# So one may let the VAE learn alone first (*solo* epochs) and bring $D$ in later (*combo* epochs), which saves
# time if the end result is as good. The original study put it as "It is possible that time and computing
# resources be saved by letting the VAE train by itself without the input from a discriminator for a few epochs
# before the discriminator kicks in" and timed 0, 50, 100 and 150 solo epochs out of 200 on its GPU: 6782.88,
# 5515.20, 4325.86 and 3120.53 seconds. A solo epoch minimises the pixel VAE's loss, a combo epoch adds the
# learned one (and $D$ learns, on real images against the reconstructions):
#
# $$\mathcal L_\mathrm{solo} = \mathrm{KL}(q(z|x)\,\|\,p(z)) + \mathrm{BCE}(x, \hat x),\qquad
# \mathcal L_\mathrm{combo} = \mathrm{KL} + w_\mathrm{pbp}\,\mathrm{BCE}(x, \hat x) + w_\mathrm{disc}\,\mathrm{BCE}(D(\hat x), 1).$$
#
# With $t_\mathrm{solo}$ and $t_\mathrm{combo}$ the seconds of one solo and one combo epoch, a run of $E$ epochs
# of which $E_\mathrm{solo}$ are solo takes
#
# $$T(E_\mathrm{solo}) = E_\mathrm{solo}\, t_\mathrm{solo} + (E - E_\mathrm{solo})\, t_\mathrm{combo},
# \qquad \frac{T(E_\mathrm{solo})}{T(0)} = 1 - \frac{E_\mathrm{solo}}{E}\Big(1 - \frac{t_\mathrm{solo}}{t_\mathrm{combo}}\Big):$$
#
# the saving is linear in the solo share, with a slope set by how much of a combo step the discriminator costs.
# The runs' size is set by the scale ([how to read these notebooks](../docs/notebooks.md)).

# %% tags=["parameters"]
# Parameters (papermill: `papermill NB OUT -p scale full -p ctx gpu:0`); the full-scale path: ../docs/notebooks.md
import os
scale = os.environ.get("VAEGAN_SCALE", "medium")   # quick | first | medium | full: the size of every run
ctx = "cpu"            # "gpu:0", "gpu:0,1", "cpu:0,1"
data_path = None       # a folder of face images to train on (None: the offline synthetic faces)
seed = None            # an int: train.seed of every run (None: each experiment's own seed)
resume = False         # True: continue every run from its checkpoints instead of starting it over
tensorboard = None     # a folder: TensorBoard logs of every run (`tensorboard --logdir` it)

# %% tags=["apply-parameters"]
from vaegan_gluon.experiments.notebook_params import print_provenance, use_parameters
# RUN: the arguments every run below is given (**RUN); prints the git commit and the scale of the outputs
RUN = use_parameters(scale, ctx, data_path, seed, resume, tensorboard)
print_provenance();

# %%
import os
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from mxnet import autograd, nd
from vaegan_gluon.experiments import default_scale, get_config, run_sweep, sweep_runs
from vaegan_gluon.experiments.sweep import get_sweep, sweep_values
from vaegan_gluon.experiments.lesson import check_step, knobs, what_runs

SCALE = default_scale()          # the scale the parameters cell set
SWEEP = "sweep-solo-combo"        # the named sweep ...
BASE = "anime-conv-vae-resnet"   # ... and the experiment whose setting it varies
RESULTS = os.path.join("..", "results", "notebooks", "10_sweep_solo_combo")
pd.set_option("display.float_format", "{:.4g}".format)

# %% [markdown]
# ## Hyperparameters

# %%
# the swept n_solo_epochs, 0 (the all-combo run every run is compared with) first; full: the study's
solo_epochs = {"quick": [0, 1, 2, 3], "medium": [0, 2, 4, 6], "full": [0, 50, 100, 150]}[SCALE]
n_epochs = None        # E, the same in every run; None: the sweep's at this scale (quick 4, medium 8, full 200)
disc_weight = None     # w_disc in the combo epochs; None: the experiment's 10 (the study's)
pbp_weight = None      # w_pbp in the combo epochs; None: the experiment's 1 (the study's)
lr = None              # None: the experiment's own (the settings table at the end)
HP = knobs(n_epochs=n_epochs, disc_weight=disc_weight, pbp_weight=pbp_weight, lr=lr)
RUNS, _ = sweep_runs(SWEEP, SCALE, values=solo_epochs, overrides=HP)
for _, overrides in RUNS:   # one line per run: the models, its solo + combo epochs, the weights and the data
    what_runs([BASE], SCALE, overrides)

# %% [markdown]
# ## The steps, written in the page
#
# On a batch $x$ of $n$ images the VAE runs once: $(\mu, \log\sigma^2) = \mathrm{Enc}(x)$,
# $z = \mu + \sigma \odot \varepsilon$, $\hat x = \mathrm{sigmoid}(\mathrm{Dec}(z))$.
#
# - **A solo step** is the VAE's update alone, on $\mathcal L_\mathrm{solo}$ (PBP weight 1, as the study's code
#   trains the solo epochs, whatever $w_\mathrm{pbp}$ is): one VAE forward and backward.
# - **A combo step** first updates the discriminator on the real images against the *detached* reconstructions,
#   $\mathcal L_D = \mathrm{BCE}(D(x), 1) + \mathrm{BCE}(D(\hat x), 0)$ (`detach()` keeps the VAE out of it),
#   then the VAE on $\mathcal L_\mathrm{combo}$ through the updated $D$. On top of the solo step's work: $D$
#   forward on $x$ and on $\hat x$, $D$'s backward and update, and $D$ forward and backward once more for the
#   adversarial term. That extra is $t_\mathrm{combo} - t_\mathrm{solo}$.
#
# Each loss is per image (summed over the pixels); `Trainer.step(n)` divides the summed gradient by $n$.
# `check_step` builds the networks twice from the same seed, runs our step on one copy and the package's on the
# other with the same batch and random draws, and compares the gradients and the weights after the step: once
# for the solo step (in a run that has solo epochs: the discriminator's line then reads a step of up to 0, it
# did not move), once for the combo step. The BCE's last term is MXNet's
# `softrelu` ($u \mapsto \log(1 + e^u)$), the package's operator, so the check is exact.

# %%
def bce(logits, target):
    """Per image: BCE(sigmoid(logits), target) summed over the pixels (or the one logit), from logits:
    max(l, 0) - l t + log(1 + exp(-|l|)), the last term as MXNet's softrelu(u) = log(1 + exp(u))."""
    per = nd.relu(logits) - logits * target + nd.Activation(-nd.abs(logits), act_type="softrelu")
    return per.reshape((per.shape[0], -1)).sum(axis=1)


def solo_step(k):
    """The VAE alone (experiments.lesson.StepKit k: k.vae, k.vae_trainer, the batch k.x)."""
    x, n = k.x, k.x.shape[0]
    with autograd.record():
        logits, mu, logvar = k.vae(x)
        loss = -0.5 * nd.sum(1 + logvar - mu ** 2 - nd.exp(logvar), axis=1) + bce(logits, x)
    loss.backward()
    k.vae_trainer.step(n)


def combo_step(k):
    """D's update, then the VAE's through the updated D (k.disc, k.disc_trainer, k.pbp_weight, k.disc_weight)."""
    x, n = k.x, k.x.shape[0]
    with autograd.record():                      # the VAE once
        logits, mu, logvar = k.vae(x)
        kl = -0.5 * nd.sum(1 + logvar - mu ** 2 - nd.exp(logvar), axis=1)
        pbp = bce(logits, x)
        x_hat = nd.sigmoid(logits)
    with autograd.record():                      # (1) D: real against the detached reconstructions
        d_loss = bce(k.disc(x.detach()), nd.ones((n, 1))) + bce(k.disc(x_hat.detach()), nd.zeros((n, 1)))
    d_loss.backward()
    k.disc_trainer.step(n)
    with autograd.record():                      # (2) the VAE, through the updated D
        loss = kl + k.pbp_weight * pbp + k.disc_weight * bce(k.disc(x_hat), nd.ones((n, 1)))
    loss.backward()
    k.vae_trainer.step(n)


check_step(BASE, solo_step, SCALE, overrides=RUNS[-1][1], phase="solo")   # the run with the most solo epochs
check_step(BASE, combo_step, SCALE, overrides=RUNS[0][1]);

# %% [markdown]
# ## Train
#
# One run per solo share, each in its own folder under `RESULTS` (this notebook's; no other notebook writes
# there). Their `train_seconds` are this machine's, with whatever else was running.

# %%
summary, plot = run_sweep(SWEEP, values=solo_epochs, scale=SCALE, overrides=HP, results_root=RESULTS, **RUN,
                          progress=True, overwrite=True, keep_checkpoints=False)
runs = dict(zip(summary["label"], summary["run_dir"]))

# %% [markdown]
# ## One comparison figure
#
# The same held-out faces reconstructed by every run, one row per run with its `fid_recon` in the row's title;
# below it the time of each run over the all-combo run's, ours and the study's, against the solo share
# $E_\mathrm{solo}/E$, with the least-squares lines of the time model (slope $t_\mathrm{solo}/t_\mathrm{combo} - 1$).

# %%
from vaegan_gluon.experiments.notebook_figures import comparison_figure
comparison_figure(runs, metric="fid_recon");

# %%
E = {label: get_config(BASE, SCALE, overrides)["train"]["n_epochs"] for label, overrides in RUNS}
ours = (summary["train.n_solo_epochs"] / summary["label"].map(E)).to_numpy(float), \
    (summary["train_seconds"] / summary["train_seconds"].iloc[0]).to_numpy(float)   # the first run: 0 solo
spec = get_sweep(SWEEP)   # the study's shares (of its 200 epochs) and GPU seconds
study = np.array(sweep_values(spec, "full")) / get_config(BASE, "full")["train"]["n_epochs"], \
    np.array(spec["reference"]["values"]) / spec["reference"]["values"][0]
FITS = {}   # least-squares line of T(E_solo)/T(0) over the solo share: slope = t_solo/t_combo - 1
fig, ax = plt.subplots(figsize=(5, 3.2))
for who, (x, y) in {"ours (this CPU)": ours, "the study (GPU)": study}.items():
    FITS[who] = np.polyfit(x, y, 1)
    points, = ax.plot(x, y, "o", label=who)
    ax.plot([0, 1], np.polyval(FITS[who], [0, 1]), "--", lw=0.8, color=points.get_color())
ax.set_xlabel("solo share $E_{solo}/E$")
ax.set_ylabel("$T(E_{solo}) / T(0)$")
ax.set_xlim(0, 1)
ax.set_ylim(0, 1.1)
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# ## The numbers
#
# Each solo share against the all-combo run `n_solo_epochs=0`, the mean-face check of every run (has it left
# the data's mean face?), and the time model's $t_\mathrm{solo}/t_\mathrm{combo}$ fitted to our runs and to the
# study's times.

# %%
from vaegan_gluon.experiments.notebook import comparison_table, mean_face_check, print_comparison
table = comparison_table(runs, "n_solo_epochs=0", ["recon_bce", "fid_recon", "blur_recon", "disc_acc_real",
                                                   "disc_acc_fake", "train_seconds"])
display(table.T)
faces = mean_face_check(runs)
display(faces.T)

# %%
print_comparison(table, "n_solo_epochs=0", ["train_seconds", "fid_recon", "blur_recon"],
                 higher_is_better=("blur_recon",))
print("left the mean face:", "; ".join(f"{run} {ok}" for run, ok in faces["left_mean_face"].items()))
for who, (x, y) in {"ours (this CPU)": ours, "the study (GPU)": study}.items():
    print(f"{who}: T(E_solo)/T(0) " + ", ".join(f"{r:.3f} at share {s:.2f}" for s, r in zip(x, y))
          + f"; a solo epoch costs {1 + FITS[who][0]:.2f} of a combo epoch (the fitted line's slope + 1)")

# %% [markdown]
# ## What we saw
#
# The first line of the notebook says which commit and scale produced these outputs; the printed lines above
# hold the numbers. Read them in this order.
#
# - **Time.** The `train_seconds` line and the two time-model lines. The saving claim holds *here* when the time
#   ratio falls with the solo share, that is when the fitted cost of a solo epoch is below 1; the study's GPU
#   times give the same model its own slope. A larger saving on this CPU than on the study's GPU means the
#   discriminator is a larger share of a combo step here. Timings come from one machine that was running other
#   work too, and the first epoch of every run includes hybridisation.
# - **The same result?** The `fid_recon` and `blur_recon` lines, after the mean-face line. "Time saved" means
#   the same result for less: a run with solo epochs keeps up when its `fid_recon` is within about a tenth of the
#   all-combo run's (the board's margin) or better, and the comparison only counts for runs that print `True` on
#   the mean-face line. Fewer combo epochs also means less time for the discriminator to act, so a shorter run's
#   end point is not the study's.
# - **One seed per run is not a verdict.** The board's rows below ask both questions over seeds, at settings of
#   their own.
#
# <!-- claims: generated by python -m vaegan_gluon.experiments.claims_text; do not edit -->
# ### What the claims board says
#
# The board (`results/reference/claims.json`, board of commit `d53612f5f63a`; rule and gates in `results/reference/claims.md`) over seeds, not the single runs above. Verdicts here: untested 2. Per-seed values are the claim's metric; the effect is ours − reference (for a lower-is-better metric, reference − ours), so a positive effect means ours is better on it.
#
# - `faces-solo-combo-saves-time` — faces: 10 solo + 10 combo epochs take less CPU time than 20 combo epochs (ResNet). **untested**: no run of ours.
#   `train_seconds` ↓: ours (`anime-conv-vae-resnet with train.n_epochs=20, train.n_solo_epochs=10`) –; reference (`anime-conv-vae-resnet with train.n_epochs=20, train.n_solo_epochs=0`) –; not tested.
# - `faces-solo-combo-same-result` — faces: 10 solo + 10 combo epochs reconstruct no worse than 20 combo epochs (FID within 10 %). **untested**: no run of ours.
#   `fid_recon` ↓: ours (`anime-conv-vae-resnet with train.n_epochs=20, train.n_solo_epochs=10`) –; reference (`anime-conv-vae-resnet with train.n_epochs=20, train.n_solo_epochs=0`) –; not tested.
# <!-- end of claims -->

# %% [markdown]
# The board's rows for these runs ([the claims board](../docs/notebooks.md)):
#
# <!-- claims output: generated by python -m vaegan_gluon.experiments.claims_text; do not edit -->
# The stored output of the next cell is the board of commit `d53612f5f63a` (`results/reference/claims.json`, regenerated by `python -m vaegan_gluon.experiments.claims_text notebooks/`); executing the cell shows the board of your checkout.
# <!-- end of claims output -->

# %%
from vaegan_gluon.experiments.notebook import show_claims
show_claims(SWEEP);

# %% [markdown]
# ## Summary
#
# * A solo step is the VAE's update alone; a combo step adds the discriminator's forward passes, its update and
#   the adversarial term's backward through it.
# * The time saved is linear in the solo share, with a slope set by how much of a combo step the discriminator
#   costs: that differs between the study's GPU and this CPU.
# * Solo epochs train at PBP weight 1; the discriminator joins at the switch, untrained.
# * Time saved is only half of the study's idea: the other half, the same result, needs the mean-face check
#   and seeds.

# %% [markdown]
# ## Exercises
#
# 1. From the fitted cost of a solo epoch, predict the time of a run with 175 solo epochs out of 200 relative to
#    the all-combo run; compare with the study's line.
# 2. Set `solo_epochs = [0, 2, 4, 6, 8]` with `n_epochs = 8`: the last run never meets the discriminator. Where
#    does it fall on the time line, and how does its `fid_recon` compare?
# 3. Count the forward and backward passes of `solo_step` and `combo_step` through each network. Predict
#    $t_\mathrm{solo}/t_\mathrm{combo}$ from the networks' parameter counts (the table at the end) and compare
#    with the fitted cost.
# 4. Why is the first epoch of every run slower? Time one solo and one combo epoch yourself from each run's
#    `training_statistics.csv` (`seconds`, `phase`), leaving the first epoch out.

# %% [markdown]
# ## Settings, the full-scale path and the models
#
# How to read these tables: [how to read these notebooks](../docs/notebooks.md).

# %%
from vaegan_gluon.experiments.notebook import expected_hours
from vaegan_gluon.experiments.notebook_settings import print_models, study_vs_here
with pd.option_context("display.max_colwidth", None):
    display(study_vs_here(SWEEP, SCALE).T)
    display(expected_hours(SWEEP))
print_models(SWEEP, SCALE)

# %%
# NBVAL_CHECK_OUTPUT
# The study's (full-scale) settings and its models' parameter counts, built without training:
# the same at every scale, so nbval compares this output.
from vaegan_gluon.experiments.notebook_settings import print_study_settings
print_study_settings(SWEEP)
