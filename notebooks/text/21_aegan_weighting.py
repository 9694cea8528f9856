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
# # 21 · AE-GAN: weighting the reconstruction against the GAN term
#
# *Outputs at the top of this notebook were produced at the scale printed by the configuration cell
# (`VAEGAN_SCALE`, default `medium`; CI runs `quick`, a smoke test, not a result).*
#
# The TF AE-GAN studies train a plain autoencoder $G$ (latent 100) as the generator of a GAN, with
# $$\mathcal L_G = \alpha\,\mathrm{MSE}(x, G(x)) + \beta\,\mathrm{BCE}(D(G(x)), 1)$$
# and several ways to choose $\beta$: **constant** ($\alpha=1, \beta=0.005$), **inverse**
# ($\alpha\,ae + \beta\,gan/(\alpha\,ae)$, $\beta=5\cdot10^{-4}$: the GAN term grows as the reconstruction
# improves), **derivative** ($\beta=\min(1, |a / \tfrac{d\,ae}{d\,step}|)$ over 50 batches, $a=2\cdot10^{-7}$)
# and **ceiling** ($ae + \min(ae, gan)$). Their verification identities are our unit tests:
# $\alpha=1, \beta=0$ trains exactly the autoencoder; $\alpha=0, \beta=1$ is a plain GAN with an
# autoencoder-shaped generator. Batch 256, as in the study.

# %% tags=["parameters"]
# Parameters (papermill: `papermill NB OUT -p scale full -p ctx gpu:0`); VAEGAN_SCALE still sets the scale.
# The full-scale path (the study's settings): scale = "full"; ctx = "gpu:0" (or "gpu:0,1"; "cpu" works
#   but takes the hours listed in "The full-scale path" below: expected_hours() = training images x epochs
#   / the images/s measured on this 2-core CPU for the same models, with where each rate was measured);
#   data_path = "/path/to/anime-faces" (a folder of face images, the study's data; None = the
#   offline synthetic-faces stand-in);
#   resume = True after an interruption: every run continues from its last checkpoint in its results folder.
#   Shell: make notebooks NOTEBOOKS=notebooks/21_aegan_weighting.ipynb NB_SCALE=full DEVICE=gpu NB_PARAMS="-p resume True"
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
import numpy as np
import pandas as pd
import matplotlib.pyplot as plt
import vaegan_gluon
from vaegan_gluon import inference, viz
from vaegan_gluon.evaluation import metrics
from vaegan_gluon.experiments import default_scale, get_config, run_experiment, metrics_table
from vaegan_gluon.experiments.runner import load_data
from vaegan_gluon.models import count_parameters

# %% [markdown]
# ## Configuration

# %%
SCALE = default_scale()
VARIANTS = ["faces-ae", "faces-aegan-verify-ae", "faces-aegan-verify-gan", "faces-aegan-constant",
            "faces-aegan-inverse", "faces-aegan-derivative", "faces-aegan-ceiling", "faces-aegan-pretrained"]
RESULTS = os.path.join("..", "results")   # the catalogue's folders: the claims runs are re-used (resume=True)
print("scale:", SCALE)

# %%
# NBVAL_CHECK_OUTPUT
# The study's (full-scale) settings and its models' parameter counts, built without training:
# the same at every scale, so nbval compares this output.
from vaegan_gluon.experiments.notebook_settings import print_study_settings
print_study_settings(VARIANTS)

# %% [markdown]
# ## The AE-GAN objective and its β policies
#
# With $ae = \mathrm{MSE}(x, G(x))$ (mean over pixels) and $gan = \mathrm{BCE}(D(G(x)), 1)$, the
# non-saturating generator term, the generator minimises one of
#
# | policy | loss | β over training |
# |---|---|---|
# | constant | $\alpha\,ae + \beta\,gan$ | fixed (`beta`) |
# | inverse | $\alpha\,ae + \beta\,gan / (\alpha\,ae)$ | effective weight grows as $ae$ falls |
# | derivative | $\alpha\,ae + \beta_t\,gan$, $\beta_t = \min\big(1, \lvert a / \tfrac{d\,ae}{d\,step} \rvert\big)$ | large once $ae$ stops improving (slope over a window of batches) |
# | ceiling | $ae + \min(ae, gan)$ | the GAN term never outweighs the reconstruction |
#
# The discriminator minimises $\mathrm{BCE}(D(x), 1) + \mathrm{BCE}(D(G(x)), 0)$. The two identities
# ($\alpha=1,\beta=0$: the autoencoder alone; $\alpha=0,\beta=1$: a plain GAN with an autoencoder-shaped
# generator) are the unit tests the first rows of the metric table repeat.

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
    display(study_vs_here(VARIANTS, SCALE).T)

# %% [markdown]
# ## The full-scale path
#
# Expected training time of each run at full scale on this 2-core CPU: training images × epochs ÷ the
# images/s measured for the same models (the last column says where each rate was measured; a GPU is far
# faster). The parameters cell at the top says how to run at full scale (`scale`, `ctx`, `data_path`, `resume`).

# %%
from vaegan_gluon.experiments.notebook import expected_hours
with pd.option_context("display.max_colwidth", None):
    display(expected_hours(VARIANTS))

# %% [markdown]
# ## The model
#
# The networks this notebook trains, at the scale it runs (Gluon's layer listing and the parameter counts;
# the study's counts are in the settings printed above). Each distinct model is listed once.

# %%
from vaegan_gluon.experiments.notebook_settings import print_models
print_models(VARIANTS, SCALE)

# %% [markdown]
# ## The training step
#
# One optimizer step as the package runs it, printed from the package source (`inspect.getsource`): the
# loss terms above appear in it line by line.

# %%
from vaegan_gluon.experiments.notebook_settings import show_training_step
show_training_step("faces-aegan-constant")

# %% [markdown]
# ## Train every variant

# %%
runs = {name: run_experiment(name, scale=SCALE, results_root=RESULTS, **RUN, overwrite=True,
                              progress=False) for name in VARIANTS}

# %% [markdown]
# ## The study's metric table
#
# Blur factor of the reconstructions (the data's is `blur_data`), the discriminator's loss and accuracy on
# real and on reconstructed validation images, the last epoch's generator loss, parameter counts and latent
# nodes.

# %%
_, val = load_data(get_config(VARIANTS[0], SCALE))
rows = {}
for name, r in runs.items():
    t, m = r.trainer, r.metrics
    recon = inference.reconstruct(t.vae, val.images)
    row = {"blur_data": m.get("blur_data"), "blur_recon": m.get("blur_recon")}
    if t.disc is not None:
        d = metrics.discriminator_accuracy(t.disc, val.images, recon)
        row.update(disc_loss_real=d["loss_real"], disc_loss_fake=d["loss_fake"],
                   disc_acc_real=d["acc_real"], disc_acc_fake=d["acc_fake"])
    last = t.history[-1]
    row.update(generator_loss=last["vae_loss"], ae_loss=last["ae_loss"], beta=last.get("beta"))
    p = count_parameters(t.vae)
    row.update(trainable=p["trainable"], non_trainable=p["non_trainable"], latent_nodes=t.vae.n_latent)
    rows[name] = row
pd.DataFrame.from_dict(rows, orient="index")

# %%
fig, axes = plt.subplots(len(runs), 1, figsize=(8, 1.1 * len(runs)))
for ax, (name, r) in zip(axes, runs.items()):
    ax.imshow(viz.image_grid(inference.reconstruct(r.trainer.vae, val.images[:10]), nrow=10))
    ax.set_axis_off()
    ax.set_title(name, fontsize=8, loc="left")
plt.show()

# %% [markdown]
# ## Vector arithmetic: smiling − neutral + neutral face
#
# The synthetic faces carry their attributes (`smiling`, `mouth_open`, `glasses`, `hair_colour`, ...).
# The mean latent of smiling faces minus that of neutral ones, added to neutral faces:

# %%
print(list(val.attributes.columns))
vae = runs["faces-aegan-constant"].trainer.vae
decoded, base, vector = inference.attribute_arithmetic(vae, val.images, val.attributes, plus={"smiling": True},
                                                       minus={"smiling": False}, base={"smiling": False},
                                                       scales=(0, 1, 2), n_base=6)
fig = viz.attribute_rows(base, decoded, (0, 1, 2), title="neutral + s * (smiling - neutral)")
plt.show()

# %% [markdown]
# ## One comparison figure
#
# The same held-out images reconstructed by every run, one row per run with its `blur_recon` in the row's
# title (PNG, so texture and checkerboards show as they are).

# %%
from vaegan_gluon.experiments.notebook_figures import comparison_figure
comparison_figure(runs, metric="blur_recon");

# %% [markdown]
# Every policy against the autoencoder alone (`faces-ae`):

# %%
from vaegan_gluon.experiments.notebook import comparison_table, mean_face_check
comparison_table(runs, "faces-ae", ["recon_mse", "fid_recon", "blur_data", "blur_recon", "disc_acc_real", "disc_acc_fake"]).T

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
show_claims(VARIANTS);

# %% [markdown]
# ## What we saw
#
# The first line says which commit and scale produced these outputs.
#
# - **The identities.** `faces-aegan-verify-ae` ($\beta = 0$) must equal `faces-ae` exactly, and it does:
#   the comparison's changes are 0.000000. `verify-gan` ($\alpha = 0$) is a plain GAN, so its
#   reconstruction error is the worst (`recon_mse` +1250.676281 % against the AE) and its blur factor
#   unrelated to the input.
# - **The trade.** For the four policies, read `blur_recon` and `fid_recon` against the rise in
#   `recon_mse` (the comparison table, one seed each): constant +210.906712 % blur for +227.859400 % MSE
#   and +13.105196 % `fid_recon`; inverse +428.861116 % blur, +513.873637 % MSE, +87.788265 % `fid_recon`;
#   derivative +330.679888 % blur, +316.792279 % MSE, −5.912277 % `fid_recon`. A policy whose numbers equal
#   the AE's did not switch its GAN term on: here that is the ceiling policy (`beta` 0.000000 in the last
#   epoch, `blur_recon` 988.605522 against the AE's 988.804659 in the metric table), not the derivative
#   one (`beta` 0.000442).
# - **The discriminators.** Accuracy on fakes near 1 with accuracy on reals near 0 means a discriminator
#   that calls everything fake; then the GAN term pushes the generator without telling it what is real.
#   Here `verify-gan` (0.054688 real, 1.000000 fake) is closest to that; the constant and inverse runs'
#   are right on 0.342187 and 0.398438 of real faces.
# - The vector arithmetic works only if the latent code separates the attribute; compare the decoded rows
#   at scales 0, 1, 2.
#
# <!-- claims: generated by python -m vaegan_gluon.experiments.claims_text; do not edit -->
# ### What the claims board says
#
# The board (`results/reference/claims.json`, board of commit `1e76fc9dd032`; rule and gates in `results/reference/claims.md`) over seeds, not the single runs above. No claim has this notebook's runs as its `ours` side.
# <!-- end of claims -->

# %% [markdown]
# ## Summary
#
# * AE-GAN: an autoencoder generator with $\alpha\,ae + \beta\,gan$ and four ways to set β.
# * The identities ($\beta = 0$: the AE; $\alpha = 0$: a GAN) check the implementation, and hold exactly.
# * The GAN term trades pixel error for sharpness; the policy decides when and how much.

# %% [markdown]
# ## Exercises
#
# 1. For the inverse policy, write the effective weight of $gan$ as a function of $ae$ and explain why it grows during training.
# 2. Run `faces-aegan-derivative` with `overrides={"train.extra.derivative_window": 8}`: does β leave 0?
# 3. Repeat the vector arithmetic with `glasses` instead of `smiling`.
