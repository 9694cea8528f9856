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
# # Anime faces: convolutional VAE
#
# A convolutional VAE encodes a face with two unpadded convolutions and a dense layer into the mean and
# log-variance of a Gaussian over latent codes, draws one code with the reparameterisation trick and decodes it
# with transposed convolutions into pixel logits. It is trained on the negative ELBO alone: there is no
# discriminator in this notebook, so its training step is the VAE's step and nothing else. It is the baseline
# that notebooks 05–08 add a discriminator to, so before anything is compared with it, it has to have learnt
# faces rather than the average face. The study describes its run as: "A VAE with convolutional layers used in
# encoder and decoder networks, 512 latent variables, and 32 base channels is trained on the first 80% of the
# dataset for 200 epochs." The loss per image $x$, with reconstruction
# $\hat x = \mathrm{sigmoid}(\text{decoder logits})$:
#
# $$\mathcal L_\mathrm{VAE}(x) = \mathrm{KL}\big(q(z|x)\,\|\,p(z)\big) + w_\mathrm{pbp}\,\mathrm{PBP}(x, \hat x)
# \;=\; -\mathrm{ELBO}(x) \quad\text{at } w_\mathrm{pbp} = 1 .$$
#
# The models, epochs and data that run at the scale you chose are printed by `what_runs` below; the scales,
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
from mxnet import autograd, nd
from vaegan_gluon.experiments import default_scale, metrics_table, run_experiment
from vaegan_gluon.experiments.lesson import check_step, knobs, what_runs

SCALE = default_scale()          # the scale of the parameters cell
RESULTS = os.path.join("..", "results", "notebooks", "04_anime_conv_vae")
pd.set_option("display.float_format", "{:.4g}".format)
NAME = "anime-conv-vae"

# %% [markdown]
# ## Hyperparameters
#
# The cell to edit. `None` keeps the experiment's value at this scale; the printed line is what will run.

# %%
pbp_weight = 1.0      # w_pbp: weight of the pixel-by-pixel BCE; 1 is the ELBO (the study: 1)
lr = None             # Adam's learning rate; None: the experiment's (the study: 1e-3)
n_epochs = None       # None: the scale's (what_runs prints it; the study: 200)
batch_size = None     # None: the experiment's (the study: 64)
HP = knobs(pbp_weight=pbp_weight, lr=lr, n_epochs=n_epochs, batch_size=batch_size)
what_runs([NAME], SCALE, HP);   # the model, epochs, batch and data of the run at this scale

# %% [markdown]
# ## The training step, written in the page
#
# **The ELBO.** The encoder maps $x$ to $\mu(x)$ and $\log\sigma^2(x)$ of a diagonal Gaussian $q(z|x)$ over a
# $d$-dimensional code; the decoder maps a code $z$ to pixel logits $\ell$. Training maximises
#
# $$\log p(x) \;\ge\; \mathrm{ELBO}(x) = \mathbb E_{q(z|x)}\big[\log p(x|z)\big]
# - \mathrm{KL}\big(q(z|x)\,\|\,p(z)\big), \qquad p(z) = \mathcal N(0, I).$$
#
# With Bernoulli pixels, $-\log p(x|z)$ is the BCE summed over the $C\times H\times W$ pixels (the PBP loss),
# written from the logits in the form that never overflows,
#
# $$\mathrm{PBP}(x, \hat x) = \sum_i \mathrm{BCE}(\ell_i, x_i), \qquad
# \mathrm{BCE}(\ell, t) = \max(\ell, 0) - \ell t + \log\big(1 + e^{-|\ell|}\big),$$
#
# and the KL between two Gaussians has a closed form, summed over the latents:
#
# $$\mathrm{KL} = -\tfrac12 \sum_{j=1}^{d} \big(1 + \log\sigma_j^2 - \mu_j^2 - \sigma_j^2\big).$$
#
# **The reparameterisation trick.** The expectation is estimated with one code per image,
# $z = \mu + \sigma \odot \varepsilon$, $\varepsilon \sim \mathcal N(0, I)$, drawn inside the VAE's forward: the
# randomness sits in $\varepsilon$, so gradients reach $\mu$, $\sigma$ and through them the encoder.
#
# **One step.** Record the forward pass and the loss, back-propagate the batch's summed loss, and let one Adam
# (`gluon.Trainer`) update the VAE with the gradient divided by the batch size. There is no discriminator, so
# this is the whole step; `check_step` runs it and the package's own step from the same weights, batch and
# noise and compares the gradients and the updated parameters. The VAE alone has only the *solo* step
# (`phase="solo"`). `softrelu` is MXNet's name for $u \mapsto \log(1 + e^u)$: the same operator as the
# package's, so the two steps agree exactly rather than to float rounding.

# %%
def bce(logits, target):
    """Per image: BCE(sigmoid(logits), target) summed over the pixels, from the logits."""
    per = nd.relu(logits) - logits * target + nd.Activation(-nd.abs(logits), act_type="softrelu")
    return per.reshape((per.shape[0], -1)).sum(axis=1)


def my_step(k):
    """One update of the VAE on the batch k.x; k holds the VAE, its Adam and the PBP weight."""
    x, n = k.x, k.x.shape[0]
    with autograd.record():
        logits, mu, logvar = k.vae(x)                       # z = mu + sigma * eps is drawn inside
        kl = -0.5 * nd.sum(1 + logvar - mu ** 2 - nd.exp(logvar), axis=1)
        loss = kl + k.pbp_weight * bce(logits, x)           # -ELBO per image, shape (n,)
    loss.backward()                                         # the gradient of loss.sum()
    k.vae_trainer.step(n)                                   # Adam on the gradient / n


check_step(NAME, my_step, SCALE, overrides=HP, phase="solo");

# %% [markdown]
# ## The run
#
# The run trains the VAE with that step for the epochs `what_runs` printed, then scores it on held-out faces.
# Its folder (pictures, `metrics.json`, the per-epoch `training_statistics.csv`) is under `RESULTS`.

# %%
result = run_experiment(NAME, SCALE, results_root=RESULTS, overrides=HP, **RUN, progress=True, overwrite=True,
                        keep_checkpoints=False)

# %% [markdown]
# ## One comparison figure
#
# Held-out faces (top row) and the VAE's reconstructions of them, with the run's `fid_recon` in the row's
# title. Look for the input's hair and background colours in the reconstructions, and for a fine checkerboard
# (the transposed convolutions' artefact), which raises the blur factor without adding detail.

# %%
from vaegan_gluon.experiments.notebook_figures import comparison_figure, show_run
comparison_figure({NAME: result}, metric="fid_recon");

# %% [markdown]
# The loss curves say whether the run had stopped improving:

# %%
show_run(result, pictures=("loss_curves.png",), metrics=False);

# %% [markdown]
# ## The numbers
#
# **Has the VAE left the mean face?** Early in training a VAE decodes every code to about the data set's
# average face. `mean_face_check` holds the run to the bar of the claims: `fid_recon` (the FID of the
# reconstructions) at most half of `fid_mean_image` (the FID of the mean image repeated), and the hair colour
# of the inputs kept by the reconstructions (an attribute classifier's accuracy; column `left_mean_face`). FID,
# the blur factor and `recon_bce` against `neg_elbo` are defined in
# [the held-out numbers](../docs/notebooks.md#the-held-out-numbers).

# %%
from vaegan_gluon.experiments.notebook import mean_face_check
display(metrics_table({NAME: result}).T)
check = mean_face_check({NAME: result})
check

# %% [markdown]
# The numbers "What we saw" reads:

# %%
m, row = result.metrics, check.loc[NAME]
print(f"scale {SCALE}: left the mean face: {row['left_mean_face']} (fid_recon / fid_mean_image "
      f"{row['fid_recon / fid_mean_image']:.3g}, hair colour kept on {row['hair_colour acc (recon)']:.3g})")
print(f"recon_bce {m['recon_bce']:.4g} (decodes mu), neg_elbo {m['neg_elbo']:.4g} (a sampled z), kl {m['kl']:.4g}")
print(f"blur_recon / blur_data {m['blur_recon'] / m['blur_data']:.3g}, "
      f"blur_samples / blur_data {m['blur_samples'] / m['blur_data']:.3g}")

# %% [markdown]
# ## What we saw
#
# The first printed line above answers the question this notebook exists for: is the baseline fair, i.e. has
# it left the mean face (`left_mean_face` True)? Only then can a discriminator added to it in notebooks 05–08
# be said to sharpen anything.
#
# - **If it printed True** (the medium scale is sized for this), the reconstructions keep each input's hair
#   and background colours and the comparisons of 05–08 start from a fair baseline at this scale. The blur
#   ratios printed below it say how much sharper the real faces are than the reconstructions and the samples
#   (a ratio of 1 would be as sharp as the data): that gap is what the discriminators are meant to close.
# - **If it printed False** (expected at `quick`, a smoke test of a few epochs on a handful of faces: the
#   reconstructions in the figure are near-uniform average faces), the run says nothing about faces and no
#   comparison with it would: rerun at medium (at quick, more epochs alone may not get there: exercise 1).
#
# `neg_elbo` is above `recon_bce` by the KL plus the extra pixel cost of decoding a sampled rather than the
# mean code. One seed per run is not a verdict: the claims board below compares seeds.
#
# <!-- claims: generated by python -m vaegan_gluon.experiments.claims_text; do not edit -->
# ### What the claims board says
#
# The board (`results/reference/claims.json`, board of commit `d53612f5f63a`; rule and gates in `results/reference/claims.md`) over seeds, not the single runs above. No claim has this notebook's runs as its `ours` side; they are the reference of `faces-convdisc32-sharpens`, `faces-convdisc64-sharpens`, `faces-resnet-sharpens`, `faces-solo-combo-decay`, `faces-solo-combo-lr2e-4`, `faces-deepconv`.
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
# * `ConvVAE`: two unpadded 4×4 convolutions and a dense layer down, transposed convolutions up; the dense
#   layer sees nearly full-size feature maps, so it holds most of the parameters (the model listing below).
# * The loss is the negative ELBO (KL + PBP), the same as the dense VAE's; only the architecture changes, and
#   its step is a single Adam update written in a dozen lines of Gluon.
# * A baseline is fair only once it has left the mean face: FID of the reconstructions against the mean image's,
#   and an attribute (hair colour) kept.

# %% [markdown]
# ## Exercises
#
# 1. At `quick`, set `n_epochs = 10`, then `40`. Which condition of the bar moves first, the FID ratio or the
#    hair colour? Does `left_mean_face` turn True, or does quick lack training faces rather than epochs
#    (compare its `what_runs` line with medium's)?
# 2. Set `lr = 2e-4` (the rate of notebook 06's third run and of notebook 07) and compare `fid_recon` and the
#    loss curves with the default's.
# 3. Set `pbp_weight = 0.5`: the loss is no longer the ELBO, and the KL now weighs twice as much against the
#    pixels. In which direction should `kl` and `recon_bce` move? Check against the printed lines.
# 4. From the model listing at the end, find the layer that holds most parameters and compute its size from
#    the feature-map shape that enters it.

# %% [markdown]
# ## Settings, the full-scale path and the models
#
# The study's settings next to this scale's, the expected hours of the full-scale run on this CPU, and the
# networks as built here. How to read these tables: [how to read these notebooks](../docs/notebooks.md).

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
