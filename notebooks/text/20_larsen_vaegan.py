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
# # 20 · Larsen et al. 2016: the VAE/GAN
#
# A pixel VAE is blurry because its likelihood, a product of independent pixels, punishes a sharp edge placed
# one pixel off as hard as a smear. Larsen et al. ("Autoencoding beyond pixels using a learned similarity
# metric") measure the reconstruction instead in the feature space of a discriminator layer $l$, and let the
# decoder also play the GAN game against the discriminator, on reconstructions and on samples from the prior.
# In the words of the VAE-GAN blog (seed 003) that adopted it: "instead of using MSE between the input and the
# recreation they use the MSE between a feature map from an intermediate layer of the discriminator for the real
# and faked images. So rather than trying to produce an exact duplicate of the input, the encoder is trying to
# produce something that the discriminator thinks is close to the input." The claims tested here: the
# VAE/GAN's prior samples are closer to real digits (MNIST), and to real faces, than the pixel VAE's. With
# $\tilde x = \mathrm{Dec}(z)$, $z \sim q(z|x)$, and $x_p = \mathrm{Dec}(z_p)$, $z_p \sim \mathcal N(0, I)$,
# three networks minimise three losses:
#
# $$\mathcal L_\text{enc} = \tfrac{1}{n_z}\,\mathrm{KL}(q(z|x)\,\|\,p(z)) + \mathcal L_\text{feat},\qquad
# \mathcal L_\text{dec} = \gamma\,\mathcal L_\text{feat} + \mathrm{BCE}(D(\tilde x), 1) + \mathrm{BCE}(D(x_p), 1),$$
# $$\mathcal L_\text{dis} = \mathrm{BCE}(D(x), 1) + \mathrm{BCE}(D(\tilde x), 0) + \mathrm{BCE}(D(x_p), 0),\qquad
# \mathcal L_\text{feat} = \|D_l(x) - D_l(\tilde x)\|^2 .$$
#
# We compare the pixel VAE with the VAE/GAN on MNIST and on synthetic faces, by eye, by FID and by the blur
# factor; the runs' size is set by the scale ([how to read these notebooks](../docs/notebooks.md)).

# %% tags=["parameters"]
# Parameters (papermill: `papermill NB OUT -p scale full -p ctx gpu:0`); the full-scale path: ../docs/notebooks.md
import os
scale = os.environ.get("VAEGAN_SCALE", "medium")   # quick | first | medium | full: the size of every run
ctx = "cpu"            # "gpu:0", "gpu:0,1", "cpu:0,1"
data_path = None       # a folder of face images for the face runs (None: the synthetic faces; MNIST stays)
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
from mxnet import autograd, gluon, nd
from vaegan_gluon import inference, viz
from vaegan_gluon.experiments import default_scale, run_experiment
from vaegan_gluon.experiments.lesson import check_step, knobs, what_runs

SCALE = default_scale()                      # the scale the parameters cell set
PAIRS = {"MNIST": ("mnist-larsen-pixel-vae", "mnist-larsen-vaegan"),
         "faces": ("faces-larsen-pixel-vae", "faces-larsen-vaegan")}   # (the pixel VAE, the VAE/GAN) per data set
NAMES = [name for pair in PAIRS.values() for name in pair]
RESULTS = os.path.join("..", "results", "notebooks", "20_larsen_vaegan")
pd.set_option("display.float_format", "{:.4g}".format)

# %% [markdown]
# ## Hyperparameters

# %%
gamma = None               # γ: weight of L_feat in the decoder's loss; None: the experiment's at this scale (MNIST 1000 at medium, 5e-5 the study's; faces 1e-6)
equilibrium_margin = None  # the gate's margin; None: off (the authors: 0.35, around an equilibrium of 0.68 nats)
lr = None                  # every optimiser's; None: the experiments' 3e-4
n_epochs = None            # None: the scale's (MNIST quick 2, medium 16, full 50; faces quick 2, medium 40, full 200)
n_solo_epochs = None       # pixel-VAE epochs before the VAE/GAN's game starts; None: the scale's (MNIST medium 8)
COMMON = knobs(lr=lr, n_epochs=n_epochs)   # every run; the VAE/GAN's also get the rest
LARSEN = {**knobs(n_solo_epochs=n_solo_epochs), **{f"train.extra.{k}": v for k, v in
          (("gamma", gamma), ("equilibrium_margin", equilibrium_margin)) if v is not None}}
OVERRIDES = {name: {**COMMON, **(LARSEN if name in [p[1] for p in PAIRS.values()] else {})} for name in NAMES}
for name in NAMES:
    what_runs([name], SCALE, OVERRIDES[name])

# %% [markdown]
# ## The step, written in the page
#
# Term by term: the **prior** term is the closed-form Gaussian KL divided by the latent size $n_z$; the
# **feature-space likelihood** $\mathcal L_\text{feat}$ is, up to constants, the negative log-likelihood of
# $D_l(x)$ under a Gaussian centred on $D_l(\tilde x)$ (layer $l$ is the discriminator's `feature_layer`), and
# replaces the pixel loss; the **GAN** terms are the discriminator's BCE, which the decoder plays in the
# non-saturating form (targets 1 for $\tilde x$ and $x_p$). One step on a batch $x$ of $n$ images:
#
# 1. **One forward.** Encode $x$, draw $z$ (reparameterised) and $z_p \sim \mathcal N(0, I)$, decode
#    $[z; z_p]$ as *one* batch (so the decoder's BatchNorm sees reconstructions and prior samples together),
#    run $D$ on $x$ (detached: it is an input of the VAE's graph) and on $[\tilde x; x_p]$.
# 2. **Three backward passes, one per loss.** Each network learns from its own loss only: the discriminator
#    from $\mathcal L_\text{dis}$, the encoder from $\mathcal L_\text{enc}$ (so no GAN gradient reaches the
#    encoder), the decoder from $\mathcal L_\text{dec}$. Back-propagating a loss writes gradients into every
#    network it passes through, so we go through the graph three times and keep each network's own gradient
#    aside; $D_l(x)$ is detached in $\mathcal L_\text{feat}$, so that loss moves $D_l(\tilde x)$ towards the
#    real features, not the reverse.
# 3. **Three optimisers step**, every one on gradients computed from the same parameters: the discriminator's
#    update, the encoder's, the decoder's. `gamma` weighs the decoder's reconstruction against fooling $D$.
# 4. **The equilibrium gate** (off unless `equilibrium_margin` is set): from the previous batch's mean BCE of $D$
#    on real images and on reconstructions, skip $D$'s update when either cost is below
#    $\text{equilibrium} - m$ ($D$ far ahead) and the decoder's when either is above $\text{equilibrium} + m$
#    ($D$ far behind); never both.
#
# Each loss is per image; `Trainer.step(n)` divides the summed gradient by $n$. The package's StepKit has two
# Adams (VAE, $D$); Larsen needs the VAE's split in two, so the page builds the encoder's and the decoder's
# Adam from the run's settings (`k.config`: lr, beta1, beta2). `check_step` builds the networks twice from the
# same seed and runs our step on one copy and the package's on the other, with the same batch and random draws
# (the BCE's last term is MXNet's `softrelu`, $u \mapsto \log(1 + e^u)$, the package's operator); a last line
# checks the page's gate against the package's on a grid of costs.

# %%
def bce(logits, target):
    """Per image: BCE(sigmoid(logits), target) summed over the pixels (or the one logit), from logits:
    max(l, 0) - l t + log(1 + exp(-|l|)), the last term as MXNet's softrelu(u) = log(1 + exp(u))."""
    per = nd.relu(logits) - logits * target + nd.Activation(-nd.abs(logits), act_type="softrelu")
    return per.reshape((per.shape[0], -1)).sum(axis=1)


def squared_distance(a, b):
    """Per image: the sum of squared differences (L_feat on feature maps)."""
    return ((a - b) ** 2).reshape((a.shape[0], -1)).sum(axis=1)


def adam(net, config, lr=None):
    return gluon.Trainer(net.collect_params(), "adam",
                         {"learning_rate": lr or config.lr, "beta1": config.beta1, "beta2": config.beta2})


def gradients(net):
    return [p.grad().copy() for p in net.collect_params().values() if p.grad_req != "null"]


def put_gradients(net, kept):
    for p, g in zip([p for p in net.collect_params().values() if p.grad_req != "null"], kept):
        p.grad()[:] = g


def gate(last_costs, margin, equilibrium):
    """(train_disc, train_dec) from the previous batch's mean BCE of D on real images and on reconstructions."""
    if margin is None or last_costs is None:
        return True, True
    lo, hi = equilibrium - margin, equilibrium + margin
    train_disc = not (last_costs[0] < lo or last_costs[1] < lo)    # D far ahead: skip its update
    train_dec = not (last_costs[0] > hi or last_costs[1] > hi)     # D far behind: skip the decoder's
    return (train_disc, train_dec) if (train_disc or train_dec) else (True, True)


def larsen_step(vae, disc, x, trainers, settings, last_costs=None):
    """One VAE/GAN step; trainers = (encoder's, decoder's, D's Adam); settings: gamma, kl_weight and the gate's.
    Returns this batch's mean costs of D on real images and on reconstructions (the next step's gate)."""
    enc_trainer, dec_trainer, disc_trainer = trainers
    n = x.shape[0]
    ones, zeros = nd.ones((n, 1)), nd.zeros((n, 1))
    train_disc, train_dec = gate(last_costs, settings.equilibrium_margin, settings.equilibrium)
    with autograd.record():                                   # 1. one forward
        mu, logvar = vae.encode(x)
        z = mu + nd.exp(0.5 * logvar) * nd.random.normal_like(mu)     # z ~ q(z|x)
        z_p = nd.random.normal_like(mu)                               # z_p ~ p(z)
        fake = nd.sigmoid(vae.decode(nd.concat(z, z_p, dim=0)))      # [x_tilde; x_p], one decoder pass
        l_real, f_real = disc(x.detach())                             # D's logits and its layer-l features
        l_fake, f_fake = disc(fake)
        l_tilde, l_prior = l_fake[:n], l_fake[n:]
        kl = -0.5 * nd.sum(1 + logvar - mu ** 2 - nd.exp(logvar), axis=1)
        feat = squared_distance(f_real.detach(), f_fake[:n])          # L_feat
        enc_loss = settings.kl_weight * kl / mu.shape[1] + feat
        dec_loss = settings.gamma * feat + bce(l_tilde, ones) + bce(l_prior, ones)
        dis_loss = bce(l_real, ones) + bce(l_tilde, zeros) + bce(l_prior, zeros)
    dis_loss.backward(retain_graph=True)                      # 2. three backward passes
    kept_disc = gradients(disc)
    enc_loss.backward(retain_graph=True)
    kept_enc = gradients(vae.encoder)
    dec_loss.backward()                                       # the decoder's gradient stays in place
    put_gradients(disc, kept_disc)
    put_gradients(vae.encoder, kept_enc)
    enc_trainer.step(n)                                       # 3. three optimisers
    if train_dec:
        dec_trainer.step(n)
    if train_disc:
        disc_trainer.step(n)
    return bce(l_real, ones).mean().asscalar(), bce(l_tilde, zeros).mean().asscalar()


def page_step(k):
    """check_step's StepKit k: the networks, D's Adam, a batch and the run's TrainConfig."""
    trainers = adam(k.vae.encoder, k.config), adam(k.vae.decoder, k.config), k.disc_trainer
    larsen_step(k.vae, k.disc, k.x, trainers, k.config.extra)


for data, (_, vaegan) in PAIRS.items():
    print(f"{data} ({vaegan}):")
    check_step(vaegan, page_step, SCALE, overrides=OVERRIDES[vaegan])

from vaegan_gluon.train.schemes.larsen import EquilibriumGate
costs = [(r, f) for r in np.linspace(0, 1.5, 31) for f in np.linspace(0, 1.5, 31)]
agree = sum(gate(c, 0.35, 0.68) == EquilibriumGate(0.35, 0.68).decide(*c) for c in costs)
print(f"the page's gate agrees with the package's EquilibriumGate(0.35, 0.68) on {agree} of {len(costs)} cost pairs")

# %% [markdown]
# ## Train
#
# The pixel VAE and the VAE/GAN per data set, each in its own folder under `RESULTS` (this notebook's; no other
# notebook writes there).

# %%
runs = {}
for name in NAMES:
    runs[name] = run_experiment(name, SCALE, results_root=RESULTS, overrides=OVERRIDES[name], **RUN, progress=True,
                                overwrite=True, keep_checkpoints=False)

# %% [markdown]
# ## One comparison figure
#
# Per data set, the same held-out images reconstructed by the pixel VAE and by the VAE/GAN, with each run's
# `fid_recon` in the row's title (lower is closer to the data). The claims are about *samples*, so the one more
# picture below it decodes the same prior draws $z_p \sim \mathcal N(0, I)$ with every run's decoder, with its
# `fid_samples` and sample `precision` in the row's title.

# %%
from vaegan_gluon.experiments.notebook_figures import comparison_figure
for data, names in PAIRS.items():
    comparison_figure({name: runs[name] for name in names}, metric="fid_recon", title=data)
    plt.show()

# %%
fig, axes = plt.subplots(len(NAMES), 1, figsize=(7.2, 1.05 * len(NAMES)))
for ax, name in zip(axes, NAMES):
    vae, m = runs[name].trainer.vae, runs[name].metrics
    z_p = np.random.RandomState(0).standard_normal((8, vae.n_latent)).astype(np.float32)   # the same draws per data set
    samples = np.asarray(inference.decode_images(vae, z_p))
    ax.imshow(viz.image_grid(samples, nrow=8), cmap="gray" if samples.shape[1] == 1 else None)
    ax.set_axis_off()
    ax.set_title(f"{name}: samples (fid_samples {m.get('fid_samples', np.nan):.4g}, "
                 f"precision {m.get('precision', np.nan):.3g})", fontsize=8, loc="left")
fig.tight_layout()
plt.show()

# %% [markdown]
# ## The numbers
#
# The VAE/GAN against the pixel VAE, per data set (changes in %). `blur_data` is the real images' own blur
# factor, `blur_recon` / `blur_samples` the runs' (higher is sharper; above the data's is noise, not detail;
# [the blur factor](../docs/notebooks.md)); `fid_*` compare feature statistics with the real images (lower
# is closer); `precision` is the share of the prior samples that land among the real images' features;
# `disc_acc_*` are the discriminator's held-out accuracies on real and on generated images.

# %%
from vaegan_gluon.claims.catalogue import BARS
from vaegan_gluon.experiments.notebook import comparison_table, print_comparison
COLUMNS = ["recon_mse", "kl", "fid_recon", "fid_samples", "precision", "blur_data", "blur_recon", "blur_samples",
           "disc_acc_real", "disc_acc_fake"]
tables = {data: comparison_table({n: runs[n] for n in pair}, pair[0], COLUMNS) for data, pair in PAIRS.items()}
for data, table in tables.items():
    print(data)
    display(table.T)

# %%
for data, (pixel, vaegan) in PAIRS.items():
    print(f"{data}:")
    print_comparison(tables[data], pixel, ["precision", "fid_samples", "fid_recon", "blur_samples", "blur_recon"],
                     higher_is_better=("precision", "blur_samples", "blur_recon"))
    m = runs[vaegan].metrics
    print(f"  the board's bar for samples that are images: precision >= {BARS['sample_precision']}")
    print(f"  the real images' own blur factor (blur_data): {m.get('blur_data', np.nan):.4g}")
    print(f"  the VAE/GAN's discriminator is right on {m.get('disc_acc_real', np.nan):.3g} of real and "
          f"{m.get('disc_acc_fake', np.nan):.3g} of generated held-out images")

# %% [markdown]
# ## What we saw
#
# The first line of the notebook says which commit and scale produced these outputs; the printed lines above
# hold the numbers. Read them per data set, in this order.
#
# - **Are the samples images?** The `precision` line: the share of the VAE/GAN's samples that fall among real
#   images' features. Below the board's bar (printed with it) the samples are not digits or faces yet, and
#   "closer to the data" cannot be judged: the board calls such a comparison invalid.
# - **Closer to the data.** The claim holds *here* for a data set when the VAE/GAN's `fid_samples` is below the
#   pixel VAE's (a negative change on the `fid_samples` line) with its samples passing the bar; `fid_recon` asks
#   the same of the reconstructions. FID does not reward noise, so it is the fairer test.
# - **Sharper is not closer.** The blur lines: a VAE/GAN above the pixel VAE is sharper; above `blur_data` it is
#   noisier than the data (check the figure for checkerboards).
# - **Collapse.** The discriminator's accuracies near 0 on real and near 1 on generated images (or the
#   reverse), or identical reconstructions or samples for different inputs in the figures, mean the game has
#   broken down (each run's `training_statistics.csv` shows when: `dec_loss` and `disc_loss` running apart).
# - **One seed per run is not a verdict**: the board below compares seeds.
#
# <!-- claims: generated by python -m vaegan_gluon.experiments.claims_text; do not edit -->
# ### What the claims board says
#
# The board (`results/reference/claims.json`, board of commit `d53612f5f63a`; rule and gates in `results/reference/claims.md`) over seeds, not the single runs above. Verdicts here: untested 4, inconclusive 1. Per-seed values are the claim's metric; the effect is ours − reference (for a lower-is-better metric, reference − ours), so a positive effect means ours is better on it.
#
# - `larsen-mnist-fid` — MNIST: the Larsen VAE/GAN's prior samples are closer to real digits than the pixel VAE's. **untested**: no run of ours.
#   `fid_samples` ↓: ours (`mnist-larsen-vaegan with disc.feature_layer=1, train.extra.disc_pass=pruned, train.extra.gamma=1000.0, train.n_epochs=32, train.n_solo_epochs=8`) –; reference (`mnist-larsen-pixel-vae with train.n_epochs=32`) –; not tested.
# - `larsen-faces-fid` — faces: the VAE/GAN (discriminator features as the reconstruction loss) generates faces closer to real ones than the pixel VAE. **inconclusive**: underpowered: MDE 6,276 against δ 406; 52 seeds per group would bring it under δ.
#   `fid_samples` ↓: ours (`faces-larsen-vaegan`) 3,514 / 1,882 (seeds 0, 1; mean 2,698); reference (`faces-larsen-pixel-vae`) 4,070 / 4,055 (seeds 0, 1; mean 4,063); effect 1,364, 90 % CI [-3,788, 6,517] (δ 406).
#   Discriminator's training accuracy per seed, best → last combo epoch: ours 0.99 → 0.98 / 1.00 → 0.99.
# - `stab-separate-batches-coverage` — MNIST: separate real and fake discriminator batches (vs one joint call) keeps the digit classes of the Larsen VAE/GAN's samples closer to uniform (KL of their class histogram). **untested**: no run of ours.
#   `mode_coverage.kl_to_uniform` ↓: ours (`mnist-larsen-vaegan with disc.feature_layer=1, train.extra.disc_pass=pruned, train.extra.gamma=1000.0, train.n_epochs=32, train.n_solo_epochs=8`) –; reference (`mnist-stab-joint with disc.feature_layer=1, train.extra.disc_pass=pruned, train.extra.gamma=1000.0, train.n_epochs=32, train.n_solo_epochs=8`) –; not tested.
# - `tf2-bn-before-act-generator` — MNIST: with BatchNorm after the activation in the generator (the decoder), the VAE/GAN's samples are further from real digits than with it before. **untested**: no run of ours; needs runs of mnist-gen-bn-after-act beside the mended Larsen reference (layer 1, gamma 1000).
#   `fid_samples` ↓: ours (`mnist-larsen-vaegan with disc.feature_layer=1, train.extra.disc_pass=pruned, train.extra.gamma=1000.0, train.n_epochs=32, train.n_solo_epochs=8`) –; reference (`mnist-gen-bn-after-act with disc.feature_layer=1, train.extra.disc_pass=pruned, train.extra.gamma=1000.0, train.n_epochs=32, train.n_solo_epochs=8`) –; not tested.
# - `tf2-longer-training-collapses` — MNIST: the VAE/GAN's samples cover the digit classes less evenly after more combo epochs (KL of their class histogram from uniform grows). **untested**: no run of ours; needs the mended MNIST VAE/GAN (mnist-larsen-vaegan at AT) beside the same seeds stopped after 8 combo epochs (train.n_epochs=16).
#   `mode_coverage.kl_to_uniform` ↑: ours (`mnist-larsen-vaegan with disc.feature_layer=1, train.extra.disc_pass=pruned, train.extra.gamma=1000.0, train.n_epochs=32, train.n_solo_epochs=8`) –; reference (`mnist-larsen-vaegan with disc.feature_layer=1, train.extra.disc_pass=pruned, train.extra.gamma=1000.0, train.n_epochs=16, train.n_solo_epochs=8`) –; not tested.
#
# These runs are also the reference of `stab-spectral-norm-coverage`, `stab-smooth-coverage`, `stab-noisy-labels-coverage`, `stab-flip-coverage`, `stab-dropout-coverage`, `stab-minibatch-coverage-mnist`, `stab-disc-bn-after-act`.
# <!-- end of claims -->

# %% [markdown]
# The board's rows for these runs ([the claims board](../docs/notebooks.md)):
#
# <!-- claims output: generated by python -m vaegan_gluon.experiments.claims_text; do not edit -->
# The stored output of the next cell is the board of commit `d53612f5f63a` (`results/reference/claims.json`, regenerated by `python -m vaegan_gluon.experiments.claims_text notebooks/`); executing the cell shows the board of your checkout.
# <!-- end of claims output -->

# %%
from vaegan_gluon.experiments.notebook import show_claims
show_claims([name for pair in PAIRS.values() for name in pair]);

# %% [markdown]
# ## Summary
#
# * Larsen's VAE/GAN replaces the pixel likelihood by a Gaussian one on a discriminator layer's features, and lets
#   the decoder play the GAN game on reconstructions and on prior samples, weighted by γ.
# * Three losses, three optimisers, one forward and three backward passes: each network keeps the gradient of its
#   own loss, so no GAN gradient reaches the encoder.
# * The equilibrium gate pauses the discriminator or the decoder when one side is far ahead.
# * Judge the samples by FID only once they are images (sample precision); a blur factor above the data's is
#   noise.

# %% [markdown]
# ## Exercises
#
# 1. Set `equilibrium_margin = 0.35` (the authors' gate) and compare the discriminator's accuracies and
#    `fid_samples` with the ungated runs. How often did the gate skip an update (`disc_trained`, `dec_trained`
#    in each run's `training_statistics.csv`, beside `dec_loss` and `disc_loss`)?
# 2. Set `gamma = 1e-3`: how does the balance between `feature_loss` and the GAN term move, and what happens to
#    `fid_recon` and `fid_samples`? Then make the page's step alone forget γ (in `page_step`, pass
#    `types.SimpleNamespace(**{**vars(k.config.extra), "gamma": 0.0})` as the settings) and run the two checks:
#    which one notices? What does that say about how much $\mathcal L_\text{feat}$ steers each decoder?
# 3. In `larsen_step`, drop `.detach()` from `f_real` and run the check again. Why is it still the same step?
#    (Which loss does each network's gradient come from?) Then drop `put_gradients(disc, kept_disc)`: what
#    changes, and what would the discriminator be learning?
# 4. Which discriminator layer gives the features (`feature_layer` in the model listing at the end)? Predict what a
#    shallower layer would change, then add `"disc.feature_layer": 3` to `OVERRIDES["faces-larsen-vaegan"]`.

# %% [markdown]
# ## Settings, the full-scale path and the models
#
# How to read these tables: [how to read these notebooks](../docs/notebooks.md).

# %%
from vaegan_gluon.experiments.notebook import expected_hours
from vaegan_gluon.experiments.notebook_settings import print_models, study_vs_here
with pd.option_context("display.max_colwidth", None):
    display(study_vs_here(NAMES, SCALE).T)
    display(expected_hours(NAMES))
print_models(NAMES, SCALE)

# %%
# NBVAL_CHECK_OUTPUT
# The study's (full-scale) settings and its models' parameter counts, built without training:
# the same at every scale, so nbval compares this output.
from vaegan_gluon.experiments.notebook_settings import print_study_settings
print_study_settings([name for pair in PAIRS.values() for name in pair])
