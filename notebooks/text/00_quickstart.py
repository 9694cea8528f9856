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
# # Quickstart: a VAE with a learnable loss
#
# A variational autoencoder trained with a pixel-by-pixel (PBP) loss alone makes blurry images: the pixel loss
# rewards the average of every plausible image. The study attached a discriminator $D$ to the VAE as a
# *learnable loss*: $D$ learns to tell real images from the VAE's reconstructions, and the VAE is penalised when
# $D$ can tell them apart. This notebook goes round that loop once on MNIST: the hyperparameters, the training
# step written in the page, one run, its pictures and its held-out numbers.
#
# The study's claim, on its dense VAE against a dense logistic regressor: *"by attaching even just a simple
# binary logistic regressor with 1 hidden dense layers, the VAE was trained with more attention to details
# otherwise not revealed by a pixel-by-pixel losss. Visible sharpening of handwritten digits especially around
# the edges can be observed."*
#
# Per image, the VAE and $D$ minimise
#
# $$\mathcal L_\mathrm{VAE} = \mathrm{KL}\big(q(z|x)\,\|\,p(z)\big) + w_\mathrm{pbp}\,\mathrm{PBP}(x, \hat x)
# + w_\mathrm{disc}\,\mathrm{BCE}\big(D(\hat x), 1\big),\qquad
# \mathcal L_D = \mathrm{BCE}\big(D(x), 1\big) + \mathrm{BCE}\big(D(\hat x), 0\big).$$
#
# Choose the scale before you start JupyterLab: `make lab` starts at `first`, a first look that learns the digits
# in about a minute on 2 cores; `quick` is CI's smoke test (the reconstructions stay near the average digit);
# `medium`, the notebooks' default, is the lessons' scale (a few minutes). The scale, the parameters cell and
# the tables at the end are explained once for all notebooks in [how to read these notebooks](../docs/notebooks.md).

# %% tags=["parameters"]
# Parameters (papermill: -p scale full -p ctx gpu:0); the full-scale path: ../docs/notebooks.md
import os
scale = os.environ.get("VAEGAN_SCALE", "medium")   # quick | first | medium | full
ctx = "cpu"            # "gpu:0", "gpu:0,1", "cpu:0,1"
data_path = None       # a folder of images to train on instead of the configured source
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
from mxnet import autograd, nd
from vaegan_gluon.experiments import default_scale, list_experiments, metrics_table, run_experiment, show_run
from vaegan_gluon.experiments.lesson import check_step, knobs, what_runs

SCALE = default_scale()          # the scale the parameters cell chose
RESULTS = os.path.join("..", "results", "notebooks", "00_quickstart")   # this notebook's runs
NAME = "mnist-vae-logreg"        # a dense VAE against a dense logistic regressor, on MNIST digits
pd.set_option("display.float_format", "{:.4g}".format)

# %% [markdown]
# ## Hyperparameters
#
# The cell to edit. `None` keeps the experiment's value at this scale; the printed line is what will run.

# %%
disc_weight = 1.0      # w_disc: weight of BCE(D(x_hat), 1) in the VAE's loss (the study: 1)
pbp_weight = 1.0       # w_pbp: weight of the pixel-by-pixel loss (the study: 1)
lr = None              # Adam's learning rate of both networks; None: the experiment's (1e-3)
n_epochs = None        # None: the scale's (quick 3, medium 20, full 50)
n_solo_epochs = None   # epochs of the VAE alone before D joins; None: the experiment's (0)
HP = knobs(disc_weight=disc_weight, pbp_weight=pbp_weight, lr=lr, n_epochs=n_epochs, n_solo_epochs=n_solo_epochs)
what_runs([NAME], SCALE, HP);

# %% [markdown]
# ## The training step, written in the page
#
# **The VAE's loss.** The encoder maps an image $x$ to the mean $\mu(x)$ and log-variance $\log\sigma^2(x)$ of a
# diagonal Gaussian $q(z|x)$; the decoder maps a code $z$ to pixel logits $\ell$, and $\hat x = \mathrm{sigmoid}(\ell)$.
# The VAE minimises $-\mathrm{ELBO}$ = the PBP loss $-\log p(x|z)$ (here Bernoulli pixels: a BCE summed over the
# pixels) plus the KL to the prior $p(z) = \mathcal N(0, I)$, in closed form
# $\mathrm{KL} = -\tfrac12 \sum_j \big(1 + \log\sigma_j^2 - \mu_j^2 - \sigma_j^2\big)$. The code is drawn as
# $z = \mu + \sigma \odot \varepsilon$, $\varepsilon \sim \mathcal N(0, I)$ (the reparameterisation trick, inside
# the VAE's forward), so gradients reach $\mu$, $\sigma$ and through them the encoder.
#
# **One combo step** on a batch, in the study's order:
#
# 1. *The discriminator's update.* $D$ maps an image to one logit. It learns to call the batch real (label 1)
#    and the reconstructions fake (label 0) on $\mathcal L_D$; the reconstructions are *detached*, so this update
#    moves $D$ only.
# 2. *The VAE's update*, through the updated $D$: KL + $w_\mathrm{pbp}\,$PBP + $w_\mathrm{disc}\,\mathrm{BCE}(D(\hat x), 1)$.
#    The last term is the *non-saturating* generator loss $-\log \mathrm{sigmoid}(D(\hat x))$: its gradient is
#    largest when $D$ is winning, where the minimax form $\log(1 - \mathrm{sigmoid}(D(\hat x)))$ would vanish.
#
# Every BCE is computed from logits in the stable form $\max(\ell, 0) - \ell t + \log(1 + e^{-|\ell|})$.
# `check_step` hands the step a kit `k`: the two networks `k.vae`, `k.disc` as the run initialises them, a
# `gluon.Trainer` (Adam) for each with the experiment's learning rate and betas, a batch `k.x` of training images
# and the weights `k.pbp_weight`, `k.disc_weight` of the hyperparameter cell. It then runs the package's own step
# from the same weights, batch and random draws, and prints how far the two ended apart.

# %%
def bce(logits, target):
    """BCE(sigmoid(logits), target) per image, summed over its pixels (or its one logit); the last term is
    log(1 + exp(-|l|)), written with MXNet's softrelu(u) = log(1 + exp(u))."""
    per = nd.relu(logits) - logits * target + nd.Activation(-nd.abs(logits), act_type="softrelu")
    return per.reshape((per.shape[0], -1)).sum(axis=1)


def train_step(k):
    """One combo step on the batch k.x: the discriminator's update, then the VAE's through the updated D."""
    x, n = k.x, k.x.shape[0]
    real, fake = nd.ones((n, 1)), nd.zeros((n, 1))               # D's labels, built per batch
    with autograd.record():                                      # the VAE runs once
        logits, mu, logvar = k.vae(x)                            # z = mu + sigma * eps is drawn inside
        kl = -0.5 * nd.sum(1 + logvar - mu ** 2 - nd.exp(logvar), axis=1)
        pbp = bce(logits, x)
        x_hat = nd.sigmoid(logits)
    with autograd.record():                                      # (1) D: real against detached reconstructions
        d_loss = bce(k.disc(x.detach()), real) + bce(k.disc(x_hat.detach()), fake)
    d_loss.backward()                # x.detach(): x is in the VAE's graph, which this backward would free
    k.disc_trainer.step(n)
    with autograd.record():                                      # (2) the VAE, through the updated D
        loss = kl + k.pbp_weight * pbp + k.disc_weight * bce(k.disc(x_hat), real)
    loss.backward()
    k.vae_trainer.step(n)


check_step(NAME, train_step, SCALE, overrides=HP);

# %% [markdown]
# ## The run
#
# One call trains with that step (the package's, which the line above shows is the same), evaluates on held-out
# digits, draws the pictures and writes a results folder (`config.json`, `training_statistics.csv`,
# `metrics.json`, `images/`, a `README.md` report). From a shell the same run is
# `vaegan run mnist-vae-logreg --scale medium`.

# %%
result = run_experiment(NAME, SCALE, results_root=RESULTS, overrides=HP, **RUN, progress=True, overwrite=True,
                        keep_checkpoints=False)

# %% [markdown]
# ## One comparison figure
#
# Held-out digits and their reconstructions, `blur_recon` in the row's title; below it, digits decoded from
# codes drawn from the prior $p(z)$ (the VAE as a generator).

# %%
from vaegan_gluon.experiments.notebook_figures import comparison_figure
comparison_figure({NAME: result}, metric="blur_recon");

# %%
show_run(result, pictures=["samples.png"], metrics=False);

# %% [markdown]
# ## The numbers
#
# Every held-out metric of the run (what `recon_bce`, `neg_elbo`, the blur factor and FID measure:
# [the held-out numbers](../docs/notebooks.md#the-held-out-numbers)), then the lines "What we saw" reads:

# %%
metrics_table({NAME: result}).T

# %%
m = result.metrics
print(f"recon_bce {m['recon_bce']:.1f} nats/image (decodes mu); neg_elbo {m['neg_elbo']:.1f} "
      f"(a sampled z, plus the KL); kl {m['kl']:.2f}")
print(f"neg_elbo - recon_bce - kl = {m['neg_elbo'] - m['recon_bce'] - m['kl']:.2f} nats: "
      f"the extra pixel cost of a sampled code")
print(f"blur_recon / blur_data = {m['blur_recon'] / m['blur_data']:.2f}, "
      f"blur_samples / blur_data = {m['blur_samples'] / m['blur_data']:.2f} (1: as sharp as the digits)")
print(f"fid_recon {m.get('fid_recon', float('nan')):.4g}, fid_samples {m.get('fid_samples', float('nan')):.4g} "
      f"(lower is better)")
print(f"discriminator on held-out images: accuracy {m['disc_acc_real']:.2f} on real, "
      f"{m['disc_acc_fake']:.2f} on reconstructions")

# %% [markdown]
# ## What we saw
#
# The provenance line at the top says which commit and scale produced these outputs; at `quick` they are a
# smoke test. Read the printed lines in three steps. **Fit**: the gap between `neg_elbo` and `recon_bce` is the
# KL plus the cost of decoding a sampled rather than the mean code; when the extra cost is small against `kl`,
# the decoder is not thrown off by the noise in $z$ (a slightly negative extra cost is the noise of a one-sample
# estimate, not a gain). **Sharpness**: the blur ratios say how far the reconstructions and samples are from the
# real digits' own sharpness; the figure says whether a high score is strokes or noise. **The game**: a
# discriminator right on most held-out digits and reconstructions still gives the VAE a gradient (the
# non-saturating term); one near chance on both is no longer a useful loss.
#
# What would test the study's claim: the same VAE trained without $D$, on the same data and seed, and a
# `blur_recon` clearly higher with $D$ at a small cost in `neg_elbo`. This notebook has no VAE-alone run, so it
# cannot; notebook 02 runs the pair, and one seed per run is not a verdict either way: the board below, over
# seeds, is.
#
# <!-- claims: generated by python -m vaegan_gluon.experiments.claims_text; do not edit -->
# ### What the claims board says
#
# The board (`results/reference/claims.json`, board of commit `d53612f5f63a`; rule and gates in `results/reference/claims.md`) over seeds, not the single runs above. Verdicts here: holds 2. Per-seed values are the claim's metric; the effect is ours − reference (for a lower-is-better metric, reference − ours), so a positive effect means ours is better on it.
#
# - `mnist-disc-sharpens` — MNIST: a dense logistic regressor (1x200) attached to the DenseVAE(5, 3x400) sharpens the digits. **holds**.
#   `blur_recon` ↑: ours (`mnist-vae-logreg`) 4,177 / 4,148 / 4,219 (seeds 0, 1, 2; mean 4,182); reference (`mnist-vae-bce`) 3,371 / 3,328 / 3,381 (seeds 0, 1, 2; mean 3,360); effect 821, 90 % CI [765, 878] (δ 336).
#   Discriminator's training accuracy per seed, best → last combo epoch: ours 0.98 → 0.97 / 0.98 → 0.97 / 0.98 → 0.95.
# - `mnist-disc-elbo-cost` — MNIST: the discriminator costs at most 5 nats of held-out negative ELBO. **holds**.
#   `neg_elbo` ↓: ours (`mnist-vae-logreg`) 129 / 128 / 130 (seeds 0, 1, 2; mean 129); reference (`mnist-vae-bce`) 127 / 125 / 126 (seeds 0, 1, 2; mean 126); effect -2.93, 90 % CI [-4.44, -1.41] (δ 5).
#   Discriminator's training accuracy per seed, best → last combo epoch: ours 0.98 → 0.97 / 0.98 → 0.97 / 0.98 → 0.95.
#
# These runs are also the reference of `mnist-adaptive-0.5-vs-fixed-1`, `mnist-adaptive-0.8-vs-fixed-1`.
# <!-- end of claims -->

# %% [markdown]
# The same rows as the board's table ([how to read the claims](../docs/notebooks.md#the-claims-this-notebook-tests)).
#
# <!-- claims output: generated by python -m vaegan_gluon.experiments.claims_text; do not edit -->
# The stored output of the next cell is the board of commit `d53612f5f63a` (`results/reference/claims.json`, regenerated by `python -m vaegan_gluon.experiments.claims_text notebooks/`); executing the cell shows the board of your checkout.
# <!-- end of claims output -->

# %%
from vaegan_gluon.experiments.notebook import show_claims
show_claims(NAME);

# %% [markdown]
# ## Summary
#
# * A VAE minimises $-\mathrm{ELBO}$ = PBP reconstruction loss + closed-form Gaussian KL, with the code
#   $z = \mu + \sigma\varepsilon$ drawn by the reparameterisation trick.
# * The study adds a discriminator as a *learnable loss*: $D$ learns real against detached reconstructions, then
#   the VAE adds $w_\mathrm{disc}\,\mathrm{BCE}(D(\hat x), 1)$, the non-saturating term, through the updated $D$.
# * The step fits in a page of plain Gluon, and `check_step` shows it is the package's.
# * One call (`run_experiment`) trains, evaluates on held-out images and writes a self-describing results folder.

# %% [markdown]
# ## Exercises
#
# 1. Set `disc_weight = 0` in the hyperparameter cell and re-run: which held-out numbers change? Why do
#    `disc_acc_real` and `disc_acc_fake` still move, although $D$ no longer acts on the VAE?
# 2. Set `disc_weight = 10`, and in `train_step` write `1.0` instead of `k.disc_weight`. Run the `check_step`
#    cell: whose parameters end up different from the package's? Why do $D$'s *gradients* differ too, although
#    its update did not change? (Which `backward` ran last?)
# 3. Compute the KL of a code with $\mu = 0$, $\sigma = 1$ in every latent, and of one with $\sigma \to 0$. Which
#    would a decoder that ignores $z$ produce?
# 4. Change `seed` in the parameters cell and re-run: how far do `blur_recon` and `neg_elbo` move between seeds,
#    against the difference the board's claims are about?

# %% [markdown]
# ## Every experiment
#
# Each name below is one `run_experiment` (or `vaegan run NAME`); the notebooks that follow teach them.

# %%
# NBVAL_CHECK_OUTPUT
for name, description in list_experiments().items():
    print(f"{name:34s} {description}")

# %% [markdown]
# ## Settings, the full-scale path and the models
#
# How to read these tables: [how to read these notebooks](../docs/notebooks.md).

# %%
from vaegan_gluon.experiments.notebook import expected_hours
from vaegan_gluon.experiments.notebook_settings import print_models, study_vs_here
with pd.option_context("display.max_colwidth", None):
    display(study_vs_here(NAME, SCALE).T)
    display(expected_hours(NAME))
print_models(NAME, SCALE)

# %%
# NBVAL_CHECK_OUTPUT
# The study's (full-scale) settings and its models' parameter counts, built without training:
# the same at every scale, so nbval compares this output.
from vaegan_gluon.experiments.notebook_settings import print_study_settings
print_study_settings(NAME)
