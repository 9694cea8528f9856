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
# # Sweep: discriminator loss weight
#
# In the learnable-loss VAE the discriminator's verdict enters the VAE's loss through one number, the weight
# $w_\mathrm{disc}$ of the adversarial term. Too small, and the pixel-by-pixel (PBP) sum over every pixel drowns
# it; too large, and the VAE may trade the faces' colours for whatever fools $D$. The study swept it on notebook
# 06's ResNet baseline: "In this section we experiments with varying disc loss weight (a constant that is
# multiplied to the discriminator loss when updating the VAE in the generator cycle in GAN)", over 1, 10 (the
# baseline), 20 and 50 with PBP weight 1, and showed the reconstructions without a stated conclusion. So this
# notebook answers a question rather than tests a claim: does a larger weight buy sharpness, and at what pixel
# cost? Per image, in a combo epoch, the VAE and $D$ minimise
#
# $$\mathcal L_\mathrm{VAE} = \mathrm{KL}\big(q(z|x)\,\|\,p(z)\big) + w_\mathrm{pbp}\,\mathrm{PBP}(x, \hat x)
# + w_\mathrm{disc}\,\mathrm{BCE}\big(D(\hat x), 1\big),\qquad
# \mathcal L_D = \mathrm{BCE}\big(D(x), 1\big) + \mathrm{BCE}\big(D(\hat x), 0\big).$$
#
# The models, epochs and weights that run at the scale you chose are printed by `what_runs` below; the scales,
# the provenance line and the tables at the end are explained once in
# [how to read these notebooks](../docs/notebooks.md).

# %% tags=["parameters"]
# papermill parameters (`-p scale full -p ctx gpu:0`); the full-scale path: ../docs/notebooks.md
import os
scale = os.environ.get("VAEGAN_SCALE", "medium")   # quick (a smoke test) | first | medium | full (the study's)
ctx = "cpu"            # "gpu:0", "gpu:0,1", "cpu:0,1"
data_path = None       # a folder of face images to train on (None: the synthetic faces)
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
import pandas as pd
from IPython.display import Image
from mxnet import autograd, nd
from vaegan_gluon.experiments import default_scale, run_sweep
from vaegan_gluon.experiments.lesson import check_step, knobs, what_runs

SCALE = default_scale()          # the scale of the parameters cell
RESULTS = os.path.join("..", "results", "notebooks", "08_sweep_disc_weight")
pd.set_option("display.float_format", "{:.4g}".format)
SWEEP = "sweep-disc-weight"      # the study's sweep
BASE = "anime-conv-vae-resnet"   # every run: notebook 06's ResNet baseline with one disc_weight

# %% [markdown]
# ## Hyperparameters
#
# The cell to edit: the swept weights, and the settings every run shares (`None` keeps the experiment's value
# at this scale). The printed lines are what will run, one per weight.

# %%
disc_weights = [1, 10, 20, 50]   # the swept w_disc (the study's); 10 is the baseline the others are compared with
pbp_weight = 1.0       # w_pbp of every run (the study: 1)
lr = None              # Adam's learning rate; None: the experiment's (the study: 1e-3)
n_epochs = None        # None: the scale's (the study: 200)
n_solo_epochs = None   # epochs of the VAE alone before D joins; None: the scale's (the study: 0)
HP = knobs(pbp_weight=pbp_weight, lr=lr, n_epochs=n_epochs, n_solo_epochs=n_solo_epochs)
for w in disc_weights:
    what_runs([BASE], SCALE, {**HP, **knobs(disc_weight=w)})

# %% [markdown]
# ## The training step, written in the page
#
# **One combo step**, in the study's order. The VAE runs once on the batch (the code drawn by the
# reparameterisation trick inside its forward). (1) *$D$'s update*: real faces against the *detached*
# reconstructions on $\mathcal L_D$; $w_\mathrm{disc}$ does not appear in it, so $D$ learns the same way at every
# weight. (2) *The VAE's update* through the updated $D$: KL + $w_\mathrm{pbp}\,$PBP +
# $w_\mathrm{disc}\,\mathrm{BCE}(D(\hat x), 1)$. Each network has its own Adam (`gluon.Trainer`).
#
# **What the weight multiplies.** The gradient the VAE receives is
#
# $$\nabla \mathcal L_\mathrm{VAE} = \nabla \mathrm{KL}
# + w_\mathrm{pbp} \sum_{i=1}^{CHW} \nabla \mathrm{BCE}(\ell_i, x_i)
# + w_\mathrm{disc}\,\nabla\big(-\log \mathrm{sigmoid}(D(\hat x))\big):$$
#
# one term per pixel against one per image. For the study's 64×64 colour faces the PBP sum has 12,288 terms (at
# quick and medium the faces are 32×32, a quarter of that), which is why the study's baseline raised
# $w_\mathrm{disc}$ to 10. The weight scales one term of the same computation, so it changes where the VAE goes,
# not what a step costs.
#
# Every BCE is computed from logits in the stable form $\max(\ell, 0) - \ell t + \log(1 + e^{-|\ell|})$, the last
# term written with MXNet's `softrelu` $(u \mapsto \log(1 + e^u))$, the package's operator, so the check below is
# exact. `check_step` runs the step and the package's own from the same weights, batch and random draws, at the
# largest swept weight (where a weight ignored by the page would show most), and prints how far the two ended
# apart.

# %%
def bce(logits, target):
    """Per image: BCE(sigmoid(logits), target) summed over the pixels (or the one logit), from the logits."""
    per = nd.relu(logits) - logits * target + nd.Activation(-nd.abs(logits), act_type="softrelu")
    return per.reshape((per.shape[0], -1)).sum(axis=1)


def my_step(k):
    """One combo step on the batch k.x: D's update, then the VAE's through the updated D."""
    x, n = k.x, k.x.shape[0]
    real, fake = nd.ones((n, 1), ctx=x.context), nd.zeros((n, 1), ctx=x.context)   # D's labels, per batch
    with autograd.record():                                  # the VAE runs once
        logits, mu, logvar = k.vae(x)                        # z = mu + sigma * eps is drawn inside
        kl = -0.5 * nd.sum(1 + logvar - mu ** 2 - nd.exp(logvar), axis=1)
        pbp = bce(logits, x)
        x_hat = nd.sigmoid(logits)
    with autograd.record():                                  # (1) D: real against detached reconstructions
        d_loss = bce(k.disc(x.detach()), real) + bce(k.disc(x_hat.detach()), fake)
    d_loss.backward()
    k.disc_trainer.step(n)
    with autograd.record():                                  # (2) the VAE, through the updated D
        loss = kl + k.pbp_weight * pbp + k.disc_weight * bce(k.disc(x_hat), real)
    loss.backward()
    k.vae_trainer.step(n)


check_step(BASE, my_step, SCALE, overrides={**HP, **knobs(disc_weight=max(disc_weights))});

# %% [markdown]
# ## The runs
#
# One run per weight with that step, each scored on held-out faces; `run_sweep` also overlays the runs'
# per-epoch `pbp_loss` and writes a summary table (`summary.csv`) beside the runs.

# %%
summary, plot = run_sweep(SWEEP, values=disc_weights, scale=SCALE, overrides=HP, results_root=RESULTS, **RUN,
                          progress=True, overwrite=True, keep_checkpoints=False)
runs = dict(zip(summary["label"], summary["run_dir"]))
BASELINE = next((label for label, w in zip(summary["label"], summary["train.disc_weight"]) if w == 10),
                summary["label"][0])   # the study's baseline weight, else the first

# %% [markdown]
# ## One comparison figure
#
# The same held-out faces reconstructed by every run, one row per weight with its `fid_recon` in the row's
# title (PNG, so texture and checkerboards show as they are). Look for the hair and background colours of the
# inputs as the weight grows, and for a fine checkerboard that raises the blur factor without adding detail.

# %%
from vaegan_gluon.experiments.notebook_figures import comparison_figure
comparison_figure(runs, metric="fid_recon");

# %% [markdown]
# The PBP loss per epoch of every run (the combo epochs are where the weight acts):

# %%
Image(filename=plot)

# %% [markdown]
# ## The numbers
#
# Every held-out metric of every weight against the baseline weight (what each measures:
# [the held-out numbers](../docs/notebooks.md#the-held-out-numbers)), and the mean-face check of notebook 04, at
# the end and, where the runs have solo epochs, at the switch to combo:

# %%
from vaegan_gluon.experiments.notebook import comparison_table, mean_face_check, print_comparison
COLUMNS = ["recon_bce", "recon_mse", "neg_elbo", "kl", "fid_recon", "fid_samples", "blur_data", "blur_recon",
           "blur_samples", "disc_acc_real", "disc_acc_fake"]
table = comparison_table(runs, BASELINE, COLUMNS)
check = mean_face_check(runs)
display(table.T, check)

# %% [markdown]
# The lines "What we saw" reads:

# %%
print_comparison(table, BASELINE, ["fid_recon", "blur_recon", "recon_mse", "recon_bce"],
                 higher_is_better=("blur_recon",))
for _, row in summary.iterrows():
    print(f"{row['label']}: held out, D right on {row['disc_acc_real']:.3g} of real faces and "
          f"{row['disc_acc_fake']:.3g} of reconstructions; trained in {row['train_seconds']:.4g} s")
print(check.filter(like="left_mean_face").to_string())

# %% [markdown]
# ## What we saw
#
# The provenance line at the top says which commit and scale produced these outputs; at `quick` they are a
# smoke test. The printed lines, in order:
#
# - **Has the VAE left the mean face?** The `left_mean_face` lines. A run below the bar at the end has lost the
#   faces' colours (a large weight can do that); a baseline below the bar *at the switch* makes every
#   comparison with it invalid, which is what the claims board checks first. At `quick` expect False
#   everywhere, and nothing below says anything about faces.
# - **Sharpness against pixel cost.** The first lines set each weight against the baseline's. A larger weight
#   buys sharpness if `blur_recon` rises with it *and* `fid_recon` does not rise (a rising blur factor with a
#   checkerboard in the figure is texture); the price is the rise of `recon_mse` and `recon_bce`. A weight
#   "changes sharpness" here only if its difference from the baseline exceeds what another seed of the same
#   weight moves (exercise 3).
# - **The discriminator.** Held-out accuracies of 0 on one class and 1 on the other at every weight mean it
#   calls every held-out image the same, and then they say nothing about the reconstructions.
# - **Time.** The weight scales one term of the same computation, so the printed training seconds should not
#   rise with it; differences between them are the machine's load.
#
# One seed per run is not a verdict. The claims board compares the weights over seeds on a longer schedule than
# medium's (the `where` of the `faces-disc-weight-…` rows in `results/reference/claims.md`); the block below
# lists only claims whose runs are exactly this notebook's.
#
# <!-- claims: generated by python -m vaegan_gluon.experiments.claims_text; do not edit -->
# ### What the claims board says
#
# The board (`results/reference/claims.json`, board of commit `d53612f5f63a`; rule and gates in `results/reference/claims.md`) over seeds, not the single runs above. Verdicts here: changes 1, no change shown 2. Per-seed values are the claim's metric; the effect is ours − reference (for a lower-is-better metric, reference − ours), so a positive effect means ours is better on it.
#
# - `faces-disc-weight-1` — faces: does disc weight 1 (vs 10) change sharpness? **changes**.
#   `blur_recon` ↑: ours (`anime-conv-vae-resnet with train.disc_weight=1.0, train.n_epochs=45, train.n_solo_epochs=30`) 787 / 857 / 781 (seeds 0, 1, 2; mean 808); reference (`anime-conv-vae-resnet with train.n_epochs=45, train.n_solo_epochs=30`) 2,858 / 3,827 / 2,174 (seeds 0, 1, 2; mean 2,953); effect -2,144, 90 % CI [-3,479, -810] (δ 295).
#   Discriminator's training accuracy per seed, best → last combo epoch: ours 1.00 → 1.00 / 1.00 → 1.00 / 1.00 → 0.71; reference 0.93 → 0.92 / 0.92 → 0.91 / 0.91 → 0.86.
# - `faces-disc-weight-20` — faces: does disc weight 20 (vs 10) change sharpness? **no change shown**: underpowered: MDE 17,187 against δ 295; more than 200 seeds per group would bring it under δ.
#   `blur_recon` ↑: ours (`anime-conv-vae-resnet with train.disc_weight=20.0, train.n_epochs=45, train.n_solo_epochs=30`) 5,345 / 3,874 (seeds 0, 1; mean 4,609); reference (`anime-conv-vae-resnet with train.n_epochs=45, train.n_solo_epochs=30`) 2,858 / 3,827 / 2,174 (seeds 0, 1, 2; mean 2,953); effect 1,267, 90 % CI [-6,438, 8,972] (δ 295).
#   Discriminator's training accuracy per seed, best → last combo epoch: ours 0.96 → 0.96 / 0.94 → 0.92; reference 0.93 → 0.92 / 0.92 → 0.91 / 0.91 → 0.86.
# - `faces-disc-weight-50` — faces: does disc weight 50 (vs 10) change sharpness? **no change shown**: underpowered: MDE 5,391 against δ 295; 29 seeds per group would bring it under δ.
#   `blur_recon` ↑: ours (`anime-conv-vae-resnet with train.disc_weight=50.0, train.n_epochs=45, train.n_solo_epochs=30`) 4,712 / 4,915 (seeds 0, 1; mean 4,813); reference (`anime-conv-vae-resnet with train.n_epochs=45, train.n_solo_epochs=30`) 2,858 / 3,827 / 2,174 (seeds 0, 1, 2; mean 2,953); effect 1,471, 90 % CI [-946, 3,888] (δ 295).
#   Discriminator's training accuracy per seed, best → last combo epoch: ours 0.99 → 0.95 / 0.98 → 0.95; reference 0.93 → 0.92 / 0.92 → 0.91 / 0.91 → 0.86.
# <!-- end of claims -->

# %% [markdown]
# The same rows as the board's table ([how to read the claims](../docs/notebooks.md#the-claims-this-notebook-tests)).
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
# * `disc_weight` scales the adversarial term's gradient against the PBP sum's, one term per image against one
#   per pixel; $D$'s own update does not depend on it.
# * A larger weight can buy sharpness and cost the faces' colours: read the blur factor together with FID, the
#   mean-face check and the pictures.
# * The weight does not change what a step computes, so it does not change what a step costs.
# * A sweep shows a trend only where the differences exceed the seed-to-seed spread.

# %% [markdown]
# ## Exercises
#
# 1. At which `disc_weight` is the adversarial term's gradient as large as the PBP term's at the start of the
#    combo epochs? Estimate it from the first combo epoch's `pbp_loss` and `adv_loss` in a run's
#    `training_statistics.csv`.
# 2. Add `100` to `disc_weights` and re-run: does the trend of the printed lines continue?
# 3. Re-run with another `seed` (parameters cell): which of the printed differences keep their sign?
# 4. Set `disc_weights = [10]` and `pbp_weight = 0.5`: is halving the PBP weight the same as doubling the disc
#    weight? (Write out $\mathcal L_\mathrm{VAE}$ for both and compare, then compare with the `disc_weight=20` run.)

# %% [markdown]
# ## Settings, the full-scale path and the models
#
# The study's settings next to this scale's, the expected hours of the full-scale runs on this CPU, and the
# networks as built here. How to read these tables: [how to read these notebooks](../docs/notebooks.md).

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
