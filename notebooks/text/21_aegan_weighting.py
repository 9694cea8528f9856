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
# A plain autoencoder $G$ (no KL, latent 100) is the generator of a GAN: it reconstructs its input, and a
# discriminator $D$ tells its reconstructions from real faces. Its loss adds a reconstruction term and a GAN term,
# $$\mathcal L_G = \alpha\,\underbrace{\mathrm{MSE}(x, G(x))}_{ae} + \beta\,\underbrace{\mathrm{BCE}(D(G(x)), 1)}_{gan},$$
# and the whole question is $\beta$. The TF AE-GAN studies (seeds 000 and 002) tried a **constant** $\beta$, an
# **inverse** one ("Want GAN loss to increase as AE loss decreases. Do this by scaling the GAN loss by 1 / AE
# loss."), a **derivative** one that switches the GAN term on when $ae$ stops improving, and a **ceiling**
# $ae + \min(ae, gan)$. Their verdicts, in their words: with the derivative policy "Eyes are much more prominent
# on these images. I think that is due to the GAN loss being more active in this model", with the ceiling
# "Results are almost identical to the baseline model", and throughout "Images are still relatively blury". Their
# two verification identities open the lesson: $\alpha=1, \beta=0$ "should get same result as training a typical
# autoencoder"; $\alpha=0, \beta=1$ is "a typical GAN", with an autoencoder-shaped generator.
#
# The first line printed below names the scale of the outputs (`quick` is a smoke test, not a result); how to
# read these notebooks (scales, the study's settings, the claims board) is in
# [docs/notebooks.md](../docs/notebooks.md).

# %% tags=["parameters"]
import os
scale = os.environ.get("VAEGAN_SCALE", "medium")   # quick | first | medium | full (docs/notebooks.md: the full-scale path)
ctx = "cpu"            # "gpu:0", "gpu:0,1", "cpu:0,1"
data_path = None       # a folder of face images instead of the synthetic faces
seed = None            # an int: train.seed of every run (None: each experiment's own)
resume = False         # True: continue every run from its checkpoints
tensorboard = None     # a folder: TensorBoard logs of every run

# %% tags=["apply-parameters"]
from vaegan_gluon.experiments.notebook_params import print_provenance, use_parameters
# RUN: the arguments every run below is given (**RUN); prints the git commit and the scale of the outputs
RUN = use_parameters(scale, ctx, data_path, seed, resume, tensorboard)
print_provenance();

# %%
import numpy as np
import pandas as pd
import matplotlib.pyplot as plt
from mxnet import autograd, nd
from vaegan_gluon import inference, viz
from vaegan_gluon.evaluation import metrics
from vaegan_gluon.experiments import default_scale, get_config, run_experiment
from vaegan_gluon.experiments.lesson import check_step, knobs, what_runs
from vaegan_gluon.experiments.runner import load_data
from vaegan_gluon.models import count_parameters

SCALE = default_scale()
VARIANTS = ["faces-ae", "faces-aegan-verify-ae", "faces-aegan-verify-gan", "faces-aegan-constant",
            "faces-aegan-inverse", "faces-aegan-derivative", "faces-aegan-ceiling", "faces-aegan-pretrained"]
RESULTS = os.path.join("..", "results", "notebooks", "21_aegan_weighting")

# %% [markdown]
# ## The hyperparameters
#
# The policies' own knobs (each defaults to the study's value; the two verification runs keep their $\beta$ of
# 0 and 1 whatever is set here), then the training knobs every run shares.

# %%
beta_constant = 0.005     # β of the constant policy and of the pretrained run (the study: 0.005)
beta_inverse = 0.0005     # β of the inverse policy, α·ae + β·gan / (α·ae) (the study: 5e-4)
derivative_a = 2e-7       # a of the derivative policy, β_t = min(1, |a / slope of ae|) (the study: 2e-7)
derivative_window = None  # batches in that slope (None: the scale's; the study: 50)
lr = None                 # None: the experiments' own (2e-4)
n_epochs = None           # None: the scale's (printed below)
batch_size = None         # None: the experiments' own (the study: 256)
HP = knobs(lr=lr, n_epochs=n_epochs, batch_size=batch_size)
POLICY = {"faces-aegan-constant": {"train.extra.beta": beta_constant},
          "faces-aegan-pretrained": {"train.extra.beta": beta_constant},
          "faces-aegan-inverse": {"train.extra.beta": beta_inverse},
          "faces-aegan-derivative": {"train.extra.derivative_a": derivative_a}}
if derivative_window is not None:
    POLICY["faces-aegan-derivative"]["train.extra.derivative_window"] = derivative_window
OVERRIDES = {name: {**HP, **POLICY.get(name, {})} for name in VARIANTS}
for name in VARIANTS:   # the models, epochs, batch, policy and data each run has at this scale
    what_runs([name], SCALE, OVERRIDES[name])

# %% [markdown]
# ## The step, written in the page
#
# One batch $x$ of $N$ faces. The autoencoder runs once; $ae$ is the squared error of each image averaged over its
# $D_{pix}$ pixels (Keras' `MeanSquaredError`), so per image
# $$ae_i = \frac{1}{D_{pix}} \sum_j \big(\sigma(\ell_{ij}) - x_{ij}\big)^2,\qquad G(x) = \sigma(\ell)\ \text{(the decoder's logits } \ell).$$
#
# **1. The discriminator** learns real faces against the *detached* reconstructions (no gradient reaches $G$):
# $\mathcal L_D = \mathrm{BCE}(D(x), 1) + \mathrm{BCE}(D(G(x)), 0)$ per image, one Adam step on $D$.
#
# **2. The generator** learns through the *updated* $D$, with $gan_i = \mathrm{BCE}(D(G(x_i)), 1)$ (the
# non-saturating form) and the policy's combination; $\overline{ae}$ and $\overline{gan}$ are batch means:
#
# | policy | generator loss per image | what $\beta$ does |
# |---|---|---|
# | constant | $\alpha\,ae_i + \beta\,gan_i$ | fixed |
# | inverse | $\alpha\,ae_i + \dfrac{\beta}{\alpha\,\overline{ae}}\,gan_i$ | the GAN term's weight grows as $ae$ falls (and its gradient flows through $\overline{ae}$ too) |
# | derivative | $\alpha\,ae_i + \beta_t\,gan_i$, $\ \beta_t = \min\big(1, \lvert a / s_t \rvert\big)$ | $s_t$: the least-squares slope of the last `window` batch means of $ae$; $\beta_t = 0$ until `window` batches are seen |
# | ceiling | $\alpha\,ae_i + u\,\beta\,gan_i + (1 - u)\,\alpha\,ae_i$, $\ u = [\beta\,\overline{gan} < \alpha\,\overline{ae}]$ | the batch-level $\min(\alpha\,\overline{ae}, \beta\,\overline{gan})$: the GAN term never outweighs the reconstruction |
#
# `Trainer.step(N)` divides the summed per-image losses by $N$: the batch means the study's Keras losses are.
# `check_step` builds each experiment's networks twice from one seed, runs this step on one copy and the package's
# (`vaegan_gluon/train/schemes/aegan.py`) on the other, with the same batch, and compares the gradients and the
# weights after the step.

# %%
def bce(logits, target):
    """Per image: BCE(sigmoid(logits), target) summed over the image's entries, written from the logits."""
    per = nd.relu(logits) - logits * target + nd.log(1 + nd.exp(-nd.abs(logits)))
    return per.reshape((per.shape[0], -1)).sum(axis=1)


def derivative_beta(history, a, window):
    """β_t = min(1, |a / slope|), the least-squares slope of the last `window` batch means of ae; 0 before."""
    if len(history) < window:
        return 0.0
    slope = np.polyfit(np.arange(window), history[-window:], 1)[0]
    return min(1.0, a / max(abs(slope), 1e-30))


DEFAULT_BETA = {"constant": 0.005, "inverse": 0.0005, "ceiling": 1.0}   # the policies' β when the config has none


def aegan_step(k, history=None):
    """One AE-GAN step on the kit `k` (networks, their Adams, a batch `k.x`, the run's `k.config`)."""
    e = k.config.extra
    alpha, beta = e.alpha, e.beta if e.beta is not None else DEFAULT_BETA.get(e.beta_policy)
    history = [] if history is None else history   # the derivative policy's batch means of ae
    x, n = k.x, k.x.shape[0]
    with autograd.record():
        logits, _, _ = k.vae(x)   # the AE: (logits, z, zeros)
        ae = ((nd.sigmoid(logits) - x) ** 2).reshape((n, -1)).sum(axis=1) / x[0].size
    if e.beta_policy == "derivative":   # β_t from the batches before this one; then this batch's mean joins them
        beta_t = derivative_beta(history, e.derivative_a, e.derivative_window)
        history.append(float(ae.mean().asscalar()))
    # 1. the discriminator: real faces against the detached reconstructions
    with autograd.record():
        fake = nd.sigmoid(logits)
        d_loss = bce(k.disc(x.detach()), nd.ones((n, 1))) + bce(k.disc(fake.detach()), nd.zeros((n, 1)))
    d_loss.backward()
    k.disc_trainer.step(n)
    # 2. the generator, through the updated discriminator
    with autograd.record():
        gan = bce(k.disc(nd.sigmoid(logits)), nd.ones((n, 1)))
        if e.beta_policy == "constant":
            loss = alpha * ae + beta * gan
        elif e.beta_policy == "inverse":
            loss = alpha * ae + beta / (alpha * ae.mean() + 1e-12) * gan
        elif e.beta_policy == "derivative":
            loss = alpha * ae + beta_t * gan
        else:   # ceiling: the smaller of the two batch means is the second term
            use_gan = (beta * gan.mean() < alpha * ae.mean()).detach()
            loss = alpha * ae + use_gan * beta * gan + (1 - use_gan) * alpha * ae
    loss.backward()
    k.vae_trainer.step(n)


for name in ["faces-aegan-constant", "faces-aegan-inverse", "faces-aegan-derivative", "faces-aegan-ceiling"]:
    print(name)
    check_step(name, aegan_step, SCALE, overrides=OVERRIDES[name])

# %% [markdown]
# A single step checks the derivative policy only before its window is full ($\beta_t = 0$; the package keeps
# the batch means in a ring buffer on the device, the page in a list). Exercise 1 checks the two identities in
# the same way.
#
# ## Train every variant
#
# Eight runs, each in its own folder under `results/notebooks/21_aegan_weighting/`.

# %%
runs = {name: run_experiment(name, SCALE, results_root=RESULTS, overrides=OVERRIDES[name], **RUN, progress=True,
                             overwrite=True, keep_checkpoints=False) for name in VARIANTS}

# %% [markdown]
# ## One comparison figure
#
# The same held-out faces reconstructed by every run, one row per run with its blur factor (`blur_recon`: the
# variance of the Laplacian, the AE-GAN study's sharpness score; higher is sharper, and noise scores high too:
# docs/notebooks.md defines it).

# %%
from vaegan_gluon.experiments.notebook_figures import comparison_figure
comparison_figure(runs, metric="blur_recon");

# %% [markdown]
# ## The study's metric table
#
# The study's columns: the blur factor of the reconstructions (`blur_data`: the real faces' own), the
# discriminator's loss and accuracy on real and on reconstructed validation faces, the last epoch's generator
# loss, $ae$ and $\beta$ in force (for the inverse policy its effective $\beta / (\alpha\,\overline{ae})$), and the
# model's size; then every run against the autoencoder alone.

# %%
from vaegan_gluon.experiments.notebook import comparison_table, print_comparison
_, val = load_data(get_config(VARIANTS[0], SCALE))
rows = {}
for name, r in runs.items():
    t, m = r.trainer, r.metrics
    row = {"blur_data": m.get("blur_data"), "blur_recon": m.get("blur_recon")}
    if t.disc is not None:
        d = metrics.discriminator_accuracy(t.disc, val.images, inference.reconstruct(t.vae, val.images))
        row.update(disc_loss_real=d["loss_real"], disc_loss_fake=d["loss_fake"],
                   disc_acc_real=d["acc_real"], disc_acc_fake=d["acc_fake"])
    last = t.history[-1]
    row.update(generator_loss=last["vae_loss"], ae_loss=last["ae_loss"], beta=last.get("beta"))
    p = count_parameters(t.vae)
    row.update(trainable=p["trainable"], non_trainable=p["non_trainable"], latent_nodes=t.vae.n_latent)
    rows[name] = row
study = pd.DataFrame.from_dict(rows, orient="index")
display(study)
COLUMNS = ["recon_mse", "fid_recon", "blur_data", "blur_recon", "disc_acc_real", "disc_acc_fake"]
table = comparison_table(runs, "faces-ae", COLUMNS)
table.T

# %% [markdown]
# ## Vector arithmetic: smiling − neutral + neutral face
#
# The synthetic faces carry their attributes (`smiling`, `mouth_open`, `glasses`, `hair_colour`, ...). The mean
# latent code of smiling faces minus that of neutral ones, added $s$ times to neutral faces, decoded by the
# constant policy's autoencoder (the study's "smiling women - neutral women + neutral man"):

# %%
vae = runs["faces-aegan-constant"].trainer.vae
decoded, base, vector = inference.attribute_arithmetic(vae, val.images, val.attributes, plus={"smiling": True},
                                                       minus={"smiling": False}, base={"smiling": False},
                                                       scales=(0, 1, 2), n_base=6)
fig = viz.attribute_rows(base, decoded, (0, 1, 2), title="neutral + s * (smiling - neutral)")
plt.show()

# %% [markdown]
# ## The claims this notebook tests
#
# The claims board's rows whose `ours` runs are this notebook's experiments (seeds, not the single runs above;
# [docs/notebooks.md](../docs/notebooks.md) says how to read them).
#
# <!-- claims output: generated by python -m vaegan_gluon.experiments.claims_text; do not edit -->
# The stored output of the next cell is the board of commit `d53612f5f63a` (`results/reference/claims.json`, regenerated by `python -m vaegan_gluon.experiments.claims_text notebooks/`); executing the cell shows the board of your checkout.
# <!-- end of claims output -->

# %%
from vaegan_gluon.experiments.notebook import show_claims
show_claims(VARIANTS);

# %% [markdown]
# The numbers "What we saw" reads: every run against the autoencoder alone, then each GAN run's $\beta$ in the
# last epoch and its discriminator's accuracy on real and on reconstructed validation faces.

# %%
print_comparison(table, "faces-ae", ["recon_mse", "fid_recon", "blur_recon"], higher_is_better=("blur_recon",))
for name in VARIANTS[1:]:
    row = rows[name]
    beta = "n/a (no combo epoch)" if row["beta"] is None else f"{row['beta']:.4g}"
    print(f"{name}: beta in the last epoch {beta}; D right on {row['disc_acc_real']:.3f} of real and "
          f"{row['disc_acc_fake']:.3f} of reconstructed faces")

# %% [markdown]
# ## What we saw
#
# The first line printed at the top names the scale; every run here is one seed, so these lines are readings,
# not a verdict.
#
# - **The identities.** `faces-aegan-verify-ae` ($\beta = 0$) trains exactly the autoencoder: its line in the
#   comparison must show a change of zero on every metric against `faces-ae`. Anything else is a bug, not a
#   result. `verify-gan` ($\alpha = 0$) is a plain GAN: nothing asks it to reproduce its input, so once it has
#   trained for a while its `recon_mse` is the worst of the printed lines and its blur factor says nothing about
#   the faces it was given (at `quick` no run has moved far from its initial weights, and every line sits close
#   to the autoencoder's).
# - **The trade.** The GAN term can only buy sharpness (`blur_recon` above the autoencoder's) at a cost in pixel
#   error (`recon_mse` above it); read both changes on each policy's line, and the pictures before the blur factor
#   (noise scores high too). The study's derivative claim ("eyes much more prominent") holds here if the
#   derivative run's `blur_recon` rises above the autoencoder's while the faces stay faces; its ceiling claim
#   ("almost identical to the baseline") holds if the ceiling run's changes are near zero. A policy whose
#   $\beta$ in the last epoch printed 0 never switched its GAN term on (at `quick` the derivative policy's window
#   is as short as the scale's few batches allow).
# - **The discriminators.** A discriminator right on nearly all reconstructed faces and few real ones calls
#   everything fake; then its gradient pushes the generator without telling it what a real face is. Compare the
#   two accuracies each run printed.
# - The vector arithmetic works only if the latent code separates the attribute: the rows at $s = 1, 2$ must
#   smile where the row at $s = 0$ does not.
#
# <!-- claims: generated by python -m vaegan_gluon.experiments.claims_text; do not edit -->
# ### What the claims board says
#
# The board (`results/reference/claims.json`, board of commit `d53612f5f63a`; rule and gates in `results/reference/claims.md`) over seeds, not the single runs above. Verdicts here: untested 5. Per-seed values are the claim's metric; the effect is ours − reference (for a lower-is-better metric, reference − ours), so a positive effect means ours is better on it.
#
# - `aegan-v4-derivative-sharper` — faces: the AE-GAN with the derivative weighting (v4) is sharper than the constant-weight AE-GAN (the study: blur 232 vs 113). **untested**: no run of ours.
#   `blur_recon` ↑: ours (`faces-aegan-derivative with train.n_epochs=150`) –; reference (`faces-aegan-constant with train.n_epochs=150`) –; not tested.
# - `aegan-v1-inverse` — faces: does the inverse weighting (v1) change sharpness against the constant weight? (the study: blur 102.5 vs 113). **untested**: no run of ours.
#   `blur_recon` ↑: ours (`faces-aegan-inverse with train.n_epochs=150`) –; reference (`faces-aegan-constant with train.n_epochs=150`) –; not tested.
# - `aegan-v5-ceiling-same` — faces: the ceiling weighting (v5) is as sharp as the constant weight (equivalent within 10 %). **untested**: no run of ours.
#   `blur_recon` ↑: ours (`faces-aegan-ceiling with train.n_epochs=150`) –; reference (`faces-aegan-constant with train.n_epochs=150`) –; not tested.
# - `aegan-arithmetic` — faces: does latent vector arithmetic add the attribute as often on the AE-GAN as on the AE alone? **untested**: no run of ours.
#   `arith_success` ↑: ours (`faces-aegan-constant with train.n_epochs=150`) –; reference (`faces-ae with train.n_epochs=150`) –; not tested.
# - `aegan-beta0-is-ae` — faces: the AE-GAN loss with alpha 1, beta 0 trains like the AE alone (FID within 10 %). **untested**: no run of ours; needs runs of faces-aegan-verify-ae (alpha 1, beta 0) beside faces-ae, 150 epochs, 3 seeds each.
#   `fid_recon` ↓: ours (`faces-aegan-verify-ae with train.n_epochs=150`) –; reference (`faces-ae with train.n_epochs=150`) –; not tested.
# <!-- end of claims -->

# %% [markdown]
# ## Summary
#
# * AE-GAN: an autoencoder generator trained on $\alpha\,ae + \beta\,gan$, with four ways to set $\beta$
#   (constant, inverse, derivative, ceiling), written in the page and checked against the package's step.
# * The identities ($\beta = 0$: the autoencoder; $\alpha = 0$: a GAN) check the implementation before any claim.
# * The GAN term trades pixel error for sharpness; the policy decides when, and how much.
# * The blur factor rewards noise too: read it beside the pictures.

# %% [markdown]
# ## Exercises
#
# 1. Check the identities in the page: `check_step("faces-aegan-verify-ae", aegan_step, SCALE)` and the same for
#    `faces-aegan-verify-gan`. With $\beta = 0$ the discriminator still trains: why does its training not change
#    the autoencoder's update?
# 2. For the inverse policy, write the effective weight of $gan$ as a function of $\overline{ae}$; set
#    `beta_inverse = 0.005` in the hyperparameter cell and compare the inverse run's `beta` column over the epochs.
# 3. Set `derivative_window = 8` and `derivative_a = 2e-5`: does the derivative run's $\beta$ leave 0, and when?
# 4. Repeat the vector arithmetic with `glasses` instead of `smiling`.

# %% [markdown]
# ## Settings, the full-scale path and the models
#
# How to read these tables: [how to read these notebooks](../docs/notebooks.md).

# %%
from vaegan_gluon.experiments.notebook import expected_hours
from vaegan_gluon.experiments.notebook_settings import print_models, study_vs_here
with pd.option_context("display.max_colwidth", None):
    display(study_vs_here(VARIANTS, SCALE).T)
    display(expected_hours(VARIANTS))
print_models(VARIANTS, SCALE)

# %%
# NBVAL_CHECK_OUTPUT
# The study's (full-scale) settings and its models' parameter counts, built without training:
# the same at every scale, so nbval compares this output.
from vaegan_gluon.experiments.notebook_settings import print_study_settings
print_study_settings(VARIANTS)
