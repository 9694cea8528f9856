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
# `ConvVAE(512 latent, 32 base channels)`: two unpadded 4x4 convolutions in the encoder, a DCGAN-style transposed-convolution decoder, BCE as the PBP loss, 200 epochs in the study. At the study's size its encoder ends in a Dense layer over 64x58x58 features: 220 M of its 223 M parameters (see `ConvVAE`'s docstring); here at medium (`ConvVAE(128, 16)` on 3x32x32 faces, the "Study vs here" table) that layer is `Dense(21632 -> 256)` in a VAE of 5,721,216 parameters (the model listing). This is the baseline every discriminator of the next notebooks is added to.
#
# **Scale.** `VAEGAN_SCALE` (`quick`, `medium`, `full`; default `medium`) picks the size of the runs; the first code cell prints the scale that produced the saved outputs. `quick` is a smoke test, `medium` the notebook scale, `full` the study's settings; the "Study vs here" table below lists what each changes, read from the configs, and "The full-scale path" the expected hours at full scale on this CPU.

# %% tags=["parameters"]
# Parameters (papermill: `papermill NB OUT -p scale full -p ctx gpu:0`); VAEGAN_SCALE still sets the scale.
# The full-scale path (the study's settings): scale = "full"; ctx = "gpu:0" (or "gpu:0,1"; "cpu" works
#   but takes the hours listed in "The full-scale path" below: expected_hours() = training images x epochs
#   / the images/s measured on this 2-core CPU for the same models, with where each rate was measured);
#   data_path = "/path/to/anime-faces" (a folder of face images, the study's data; None = the
#   offline synthetic-faces stand-in);
#   resume = True after an interruption: every run continues from its last checkpoint in its results folder.
#   Shell: make notebooks NOTEBOOKS=notebooks/04_anime_conv_vae.ipynb NB_SCALE=full DEVICE=gpu NB_PARAMS="-p resume True"
import os
scale = os.environ.get("VAEGAN_SCALE", "medium")   # quick | medium | full
ctx = "cpu"            # "gpu:0", "gpu:0,1", "cpu:0,1"
data_path = None       # a folder of images to train on instead of the configured source (e.g. your anime faces)
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
from vaegan_gluon.experiments import (default_scale, get_config, list_experiments, metrics_table,
                                      run_experiment, run_sweep, show_run, show_sweep)

SCALE = default_scale()          # env VAEGAN_SCALE: quick | medium | full
RESULTS = os.path.join("..", "results")
pd.set_option("display.float_format", "{:.4g}".format)
NAME = "anime-conv-vae"
print(f"executed at scale: {SCALE}")

# %%
# NBVAL_CHECK_OUTPUT
# The study's (full-scale) settings and its models' parameter counts, built without training:
# the same at every scale, so nbval compares this output.
from vaegan_gluon.experiments.notebook_settings import print_study_settings
print_study_settings(NAME)

# %% [markdown]
# ## The loss
#
# **The ELBO.** The encoder maps an image $x$ to the mean $\mu(x)$ and log-variance $\log\sigma^2(x)$ of a
# diagonal Gaussian $q(z|x)$ over a $d$-dimensional latent code; the decoder maps a code $z$ to pixel logits.
# Training maximises the evidence lower bound
#
# $$\log p(x) \;\ge\; \mathrm{ELBO}(x) = \mathbb E_{q(z|x)}\big[\log p(x|z)\big] - \mathrm{KL}\big(q(z|x)\,\|\,p(z)\big),
# \qquad p(z) = \mathcal N(0, I),$$
#
# i.e. it minimises $-\mathrm{ELBO}$ = the pixel-by-pixel (PBP) reconstruction loss $-\log p(x|z)$ plus the KL.
# Between two Gaussians the KL has a closed form, summed over the latents (`losses.kl_divergence`):
#
# $$\mathrm{KL}\big(\mathcal N(\mu, \mathrm{diag}\,\sigma^2)\,\|\,\mathcal N(0, I)\big)
# = -\tfrac12 \sum_{j=1}^{d} \big(1 + \log\sigma_j^2 - \mu_j^2 - \sigma_j^2\big).$$
#
# **The reparameterisation trick.** The expectation is estimated with one sample per image, drawn as
# $z = \mu + \sigma \odot \varepsilon$ with $\varepsilon \sim \mathcal N(0, I)$ (inside the VAE's
# `hybrid_forward`): the randomness sits in $\varepsilon$, so gradients reach $\mu$ and $\sigma$, and
# through them the encoder.

# %% [markdown]
# **Two held-out numbers.** `recon_bce` encodes each held-out image, decodes the **mean** code $z = \mu(x)$
# and sums the BCE over the pixels (nats per image): the model's best reconstruction. `neg_elbo` decodes one
# **sampled** code $z = \mu + \sigma\varepsilon$ and adds the KL: a one-sample estimate of $-\mathrm{ELBO}$.
# So `neg_elbo − recon_bce` is the KL *plus* the extra pixel cost of decoding a noisy code; the KL alone is
# the `kl` column.

# %% [markdown]
# **FID.** Images are also compared as distributions. A fixed feature network (the `extractor` named in
# `metrics.json`: a small classifier the project trains per data set, 128 features, see
# `vaegan_gluon.evaluation`) maps real held-out images and generated ones to features; each set is summarised
# by its mean $m$ and covariance $C$, and
#
# $$\mathrm{FID} = \|m_r - m_g\|^2 + \mathrm{Tr}\big(C_r + C_g - 2\,(C_r C_g)^{1/2}\big).$$
#
# Lower is better; `fid_recon` scores the reconstructions, `fid_samples` decoded prior samples.
# `fid_mean_image` scores the training set's mean image repeated: a VAE stuck at the mean face scores about
# that, one that has left it far less. The claims issue's bar for a face baseline: `fid_recon` at most half
# of `fid_mean_image`, and hair colour kept (`attr_acc_recon["hair_colour"]` ≥ 0.9, an attribute classifier
# applied to the reconstructions). Scores are comparable only between runs with the same extractor.

# %% [markdown]
# **The blur factor.** Sharpness is scored as the variance of the Laplacian of the 8-bit grey image,
# averaged over images (`metrics.blur_factor`, the AE-GAN study's measure):
#
# $$\mathrm{blur}(x) = \mathrm{Var}_{i,j}\big[(g * K)_{ij}\big],\qquad
# K = \begin{pmatrix} 0 & 1 & 0 \\ 1 & -4 & 1 \\ 0 & 1 & 0 \end{pmatrix},$$
#
# $g$ the grey image in 0–255. Higher is sharper. It is in squared grey levels and depends on the content,
# so compare only images of the same data (`blur_data` is the real images' own score). Noise and
# checkerboard artefacts score high too: check the pictures before reading a high blur factor as detail.

# %% [markdown]
# ## Study vs here
#
# The study's settings next to the ones this notebook runs at, read from the experiment configs (so a
# changed scale shows here by itself). Optimizer steps = batches per epoch × epochs: each is one VAE update,
# plus one discriminator update in a combo epoch.

# %%
from vaegan_gluon.experiments.notebook_settings import study_vs_here
with pd.option_context("display.max_colwidth", None):
    display(study_vs_here(NAME, SCALE).T)

# %% [markdown]
# ## The full-scale path
#
# Expected training time of each run at full scale on this 2-core CPU: training images × epochs ÷ the
# images/s measured for the same models (the last column says where each rate was measured; a GPU is far
# faster). The parameters cell at the top says how to run at full scale (`scale`, `ctx`, `data_path`, `resume`).

# %%
from vaegan_gluon.experiments.notebook import expected_hours
with pd.option_context("display.max_colwidth", None):
    display(expected_hours(NAME))

# %% [markdown]
# ## The model
#
# The networks this notebook trains, at the scale it runs (Gluon's layer listing and the parameter counts;
# the study's counts are in the settings printed above). Each distinct model is listed once.

# %%
from vaegan_gluon.experiments.notebook_settings import print_models
print_models(NAME, SCALE)

# %% [markdown]
# ## The training step
#
# One optimizer step as the package runs it, printed from the package source (`inspect.getsource`): the
# loss terms above appear in it line by line.

# %%
from vaegan_gluon.experiments.notebook_settings import show_training_step
show_training_step(NAME)

# %%
result = run_experiment(NAME, SCALE, results_root=RESULTS, **RUN, progress=False, overwrite=True,
                        keep_checkpoints=False)

# %%
show_run(result);

# %% [markdown]
# ## One comparison figure
#
# The same held-out images reconstructed by every run, one row per run with its `fid_recon` in the row's
# title (PNG, so texture and checkerboards show as they are).

# %%
from vaegan_gluon.experiments.notebook_figures import comparison_figure
comparison_figure({NAME: result}, metric="fid_recon");

# %% [markdown]
# The numbers the paragraph below interprets:

# %%
from vaegan_gluon.experiments.notebook import comparison_table, mean_face_check
m = result.metrics
print(f"recon_bce {m['recon_bce']:.4g} (decodes mu), neg_elbo {m['neg_elbo']:.4g} (a sampled z), kl {m['kl']:.4g}")
print(f"blur_recon / blur_data {m['blur_recon'] / m['blur_data']:.2f}, blur_samples / blur_data {m['blur_samples'] / m['blur_data']:.2f}")
mean_face_check({NAME: result})

# %% [markdown]
# ## The claims this notebook tests
#
# The rows of the project's claims board (`results/reference/claims.md`, generated by `vaegan claims` from
# run folders, with seeds) whose `ours` runs are this notebook's experiments: per-seed values, the effect
# with its 90 % CI, the verdict and its reason. They come from the committed board, not from the single
# runs above: a verdict needs the seeds.
#
# <!-- claims output: generated by python -m vaegan_gluon.experiments.claims_text; do not edit -->
# The stored output of the next cell is the board of commit `1e76fc9dd032` (`results/reference/claims.json`, regenerated by `python -m vaegan_gluon.experiments.claims_text notebooks/`); executing the cell shows the board of your checkout.
# <!-- end of claims output -->

# %%
from vaegan_gluon.experiments.notebook import show_claims
show_claims(NAME);

# %% [markdown]
# ## What we saw
#
# The first line says which commit and scale produced these outputs. This run is the baseline of notebooks
# 05–07, so the question is whether it is a fair one: the mean-face check above must pass (FID of the
# reconstructions at most half that of the mean image, hair colour kept) before a discriminator added to it
# can be said to sharpen anything. In the pictures look for the input's hair and background colours in the
# reconstructions, and for a fine checkerboard — the transposed convolutions' artefact — which raises the
# blur factor without adding detail. The loss curves say whether the run had stopped improving.
#
# Here (medium; the printout and the mean-face check): `fid_recon / fid_mean_image` 0.3596 and hair colour
# 0.9812, so the baseline passes the bar; its reconstructions and samples are far blurrier than the faces
# (`blur_recon / blur_data` 0.09, `blur_samples / blur_data` 0.06).
#
# <!-- claims: generated by python -m vaegan_gluon.experiments.claims_text; do not edit -->
# ### What the claims board says
#
# The board (`results/reference/claims.json`, board of commit `1e76fc9dd032`; rule and gates in `results/reference/claims.md`) over seeds, not the single runs above. No claim has this notebook's runs as its `ours` side.
# <!-- end of claims -->

# %% [markdown]
# ## Summary
#
# * `ConvVAE`: strided convolutions down, transposed convolutions up; at the study's 64×64 its dense bottleneck holds most of the parameters (at medium the listing's `Dense(21632 -> 256)` in a VAE of 5,721,216).
# * The same ELBO as the dense VAE; only the architecture changes.
# * A baseline is fair only once it has left the mean face (FID and attribute checks).

# %% [markdown]
# ## Exercises
#
# 1. From the model printout, find the layer that holds most parameters and compute its size from the feature-map shape.
# 2. Train with `overrides={"vae.n_latent": 64}`: how do `kl` and `fid_recon` change?
# 3. Where does the checkerboard come from? Try `blur_factor` on a reconstruction before and after a 2×2 average pooling.
