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
# # Anime faces: deep convolutional VAE against a deep convolutional discriminator
#
# `DeepConvVAE` keeps ConvVAE's encoder and doubles the decoder's width; `DeepConvDisc` is the DCGAN discriminator (four stride-2 convolutions). The study trained `DeepConvVAE(1024, 32)` against `DeepConvDisc(64)` for 100 solo + 100 combo epochs with `disc_weight` 10 and an initial learning rate of 2e-4; here at medium: `DeepConvVAE(256, 16)` against `DeepConvDisc(32)` on 3x32x32 faces, 20 solo + 5 combo epochs (the "Study vs here" table).
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
#   Shell: make notebooks NOTEBOOKS=notebooks/07_deep_conv.ipynb NB_SCALE=full DEVICE=gpu NB_PARAMS="-p resume True"
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
NAME = "anime-deepconv"
print(f"executed at scale: {SCALE}")

# %%
# NBVAL_CHECK_OUTPUT
# The study's (full-scale) settings and its models' parameter counts, built without training:
# the same at every scale, so nbval compares this output.
from vaegan_gluon.experiments.notebook_settings import print_study_settings
print_study_settings(NAME)

# %% [markdown]
# ## The learnable loss
#
# **The discriminator's loss.** $D$ maps an image to a logit; it learns to say "real" (label 1) for data
# and "fake" (label 0) for reconstructions $\hat x$, which are *detached* from the VAE's graph
# (`losses.discriminator_loss`):
#
# $$\mathcal L_D = \mathrm{BCE}(D(x), 1) + \mathrm{BCE}(D(\hat x), 0)
# = -\log \mathrm{sigmoid}(D(x)) - \log\big(1 - \mathrm{sigmoid}(D(\hat x))\big).$$
#
# **The non-saturating generator term.** The VAE wants $D$ to call $\hat x$ real. The minimax game would
# have it minimise $\log(1 - \mathrm{sigmoid}(D(\hat x)))$, whose gradient vanishes exactly when $D$ is
# winning; the package uses the non-saturating form $\mathrm{BCE}(D(\hat x), 1) = -\log \mathrm{sigmoid}(D(\hat x))$
# (`losses.adversarial_loss(logits, 1.0)`), whose gradient is largest then.
#
# **The learnable-loss objective.** Per image, in a *combo* epoch,
#
# $$\mathcal L_\mathrm{VAE} = \mathrm{KL} + w_\mathrm{pbp}\,\mathrm{PBP}(x, \hat x) + w_\mathrm{disc}\,\mathrm{BCE}(D(\hat x), 1),$$
#
# $w_\mathrm{pbp}$ = `pbp_weight`, $w_\mathrm{disc}$ = `disc_weight`; a *solo* epoch drops the last term
# (and does not train $D$). Each combo step first updates $D$ on $\mathcal L_D$, then the VAE on
# $\mathcal L_\mathrm{VAE}$ against the updated $D$.

# %% [markdown]
# **Solo, combo and the PBP decay.** With $E$ epochs of which the first $E_\mathrm{solo}$ are solo, epoch
# $e$ trains the VAE alone while $e < E_\mathrm{solo}$ and against $D$ afterwards. With `pbp_decay` $\rho$
# and `pbp_decay_every` $k$, the PBP weight in combo epoch $c = e - E_\mathrm{solo}$ (counted from 0) is
#
# $$w_\mathrm{pbp}(c) = w_\mathrm{pbp}\,\rho^{\lfloor c / k \rfloor},$$
#
# so the discriminator's share of the update grows as training goes on (the `pbp_weight` column of
# `training_statistics.csv` records the weight in force per epoch).

# %% [markdown]
# **Two held-out numbers.** `recon_bce` encodes each held-out image, decodes the **mean** code $z = \mu(x)$
# and sums the BCE over the pixels (nats per image): the model's best reconstruction. `neg_elbo` decodes one
# **sampled** code $z = \mu + \sigma\varepsilon$ and adds the KL: a one-sample estimate of $-\mathrm{ELBO}$.
# So `neg_elbo − recon_bce` is the KL *plus* the extra pixel cost of decoding a noisy code; the KL alone is
# the `kl` column.

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
print(f"recon_bce {m['recon_bce']:.4g}, neg_elbo {m['neg_elbo']:.4g}, kl {m['kl']:.4g}")
print(f"blur_recon / blur_data {m['blur_recon'] / m['blur_data']:.2f}; held-out disc accuracy real {m['disc_acc_real']:.2f}, fake {m['disc_acc_fake']:.2f}")
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
# The first line says which commit and scale produced these outputs. The mean-face check says whether the
# deep decoder has left the average face. Read the held-out discriminator accuracies together with the
# training curves: a discriminator that calls held-out reconstructions real while its training accuracy on
# fakes is near 1 has learnt the training set, not the difference between faces and reconstructions. The
# samples row shows whether the decoder makes faces from the prior at all — a VAE can reconstruct without
# its prior samples looking like faces when the KL is large.
#
# Here (medium; the printout and the mean-face check): the VAE passes the bar (`fid_recon / fid_mean_image`
# 0.1155, hair colour 0.9812; at the switch 0.2945 and 0.9766). Held out, the discriminator is right on 0.92
# of real faces and 0.78 of reconstructions: it does not call everything one class. With `kl` 87.87 the
# prior samples are much further from the data than the reconstructions (`fid_samples` 3540 against
# `fid_recon` 910.2 in the metrics table).
#
# <!-- claims: generated by python -m vaegan_gluon.experiments.claims_text; do not edit -->
# ### What the claims board says
#
# The board (`results/reference/claims.json`, board of commit `1e76fc9dd032`; rule and gates in `results/reference/claims.md`) over seeds, not the single runs above. No claim has this notebook's runs as its `ours` side.
# <!-- end of claims -->

# %% [markdown]
# ## Summary
#
# * `DeepConvVAE` widens the decoder, `DeepConvDisc` is the DCGAN discriminator; solo + combo with lr 2e-4 as in the study.
# * The decoder's width multiplies the parameter count and the time per step (see the full-scale hours).
# * Judge the prior samples separately from the reconstructions.

# %% [markdown]
# ## Exercises
#
# 1. From the printed models, which part of `DeepConvVAE` holds most of its parameters?
# 2. Run with `overrides={"train.n_solo_epochs": 0}`: does the discriminator overfit sooner?
# 3. Why can `kl` be large while the samples are poor? Relate it to the ELBO's two terms.
