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
# # 22 · GAN stabilisers and mode coverage
#
# The "GAN hacks" the studies used change what the discriminator sees or what it is asked to say: one-sided label
# smoothing, noisy or flipped labels, instance noise on its inputs, minibatch discrimination. The PyTorch VAE-GAN
# blog (seed 003) on the first of them: "soft and noisy labels - this has helped a LOT ... This keeps the
# discriminator from becoming too confident in it's predictions and the gradient to the generator exploding"; on
# flipping: "if the discriminator gets too strong I will occassionally flip the labels for a few training steps
# ... This seems to help the generator catch up a bit". The TF2 VAE-GAN (seed 004) used minibatch discrimination
# against mode collapse. Each is a switch here (`vaegan_gluon/train/schemes/stabilisers.py`), off by default.
#
# We train the MNIST VAE/GAN of notebook 20 (the Larsen scheme) with four of them and judge **mode coverage**: a
# digit classifier labels prior samples, and with $s_k$ the share of class $k$
# $$\mathrm{KL}(s\,\|\,u) = \sum_{k=0}^{9} s_k \log\frac{s_k}{1/10},$$
# 0 for an even spread over the ten digits, $\log 10 \approx 2.3$ for one class. The first line printed below
# names the scale of the outputs (`quick` is a smoke test); [docs/notebooks.md](../docs/notebooks.md) says how to
# read these notebooks.

# %% tags=["parameters"]
import os
scale = os.environ.get("VAEGAN_SCALE", "medium")   # quick | first | medium | full (docs/notebooks.md: the full-scale path)
ctx = "cpu"            # "gpu:0", "gpu:0,1", "cpu:0,1"
data_path = None       # None: the offline mnist-5k digits (the study: full MNIST)
seed = None            # an int: train.seed of every run (None: each experiment's own)
resume = False         # True: continue every run from its checkpoints
tensorboard = None     # a folder: TensorBoard logs of every run

# %% tags=["apply-parameters"]
from vaegan_gluon.experiments.notebook_params import print_provenance, use_parameters
# RUN: the arguments every run below is given (**RUN); prints the git commit and the scale of the outputs
RUN = use_parameters(scale, ctx, data_path, seed, resume, tensorboard)
print_provenance();

# %%
import pandas as pd
import matplotlib.pyplot as plt
from mxnet import autograd, gluon, nd
from vaegan_gluon import viz
from vaegan_gluon.evaluation import get_extractor, mode_coverage
from vaegan_gluon.experiments import default_scale, run_experiment
from vaegan_gluon.experiments.lesson import check_step, knobs, what_runs

SCALE = default_scale()
VARIANTS = ["mnist-stab-none", "mnist-stab-smooth", "mnist-stab-instance-noise", "mnist-stab-minibatch",
            "mnist-stab-flip"]
RESULTS = os.path.join("..", "results", "notebooks", "22_gan_stabilisers")
N_SAMPLES = 1000   # prior samples labelled per run

# %% [markdown]
# ## The hyperparameters
#
# Each stabiliser's strength (the study's value by default), then the training knobs every run shares.

# %%
real_label = 0.9              # one-sided label smoothing: D's target for real digits in the smooth run (0.9)
instance_noise_stddev = 0.2   # σ of the noise added to D's inputs, annealed to 0 over the epochs (0.2)
label_flip_prob = 0.05        # the flip run: share of D's targets swapped at random (0.05)
lr = None                     # None: the experiments' own (3e-4)
n_epochs = None               # None: the scale's (printed below)
n_solo_epochs = None          # None: the scale's (pixel-VAE epochs before the GAN starts)
HP = knobs(lr=lr, n_epochs=n_epochs, n_solo_epochs=n_solo_epochs)
STABILISER = {"mnist-stab-smooth": {"train.real_label": real_label},
              "mnist-stab-instance-noise": {"train.extra.instance_noise_stddev": instance_noise_stddev},
              "mnist-stab-flip": {"train.extra.label_flip_prob": label_flip_prob}}
OVERRIDES = {name: {**HP, **STABILISER.get(name, {})} for name in VARIANTS}
for name in VARIANTS:   # the models, epochs, batch and stabilisers each run has at this scale
    what_runs([name], SCALE, OVERRIDES[name])

# %% [markdown]
# ## The step, written in the page: the VAE/GAN with label smoothing
#
# The Larsen step of notebook 20, with the first stabiliser on. One batch $x$ of $N$ digits; the encoder gives
# $\mu, \log\sigma^2$, and **one** decoder pass decodes both $z = \mu + \sigma\varepsilon$ and a prior draw
# $z_p \sim \mathcal N(0, I)$, giving reconstructions $\tilde x$ and samples $x_p$. $D_l$ is the discriminator's
# feature layer $l$, and $L_\mathrm{feat} = \lVert D_l(x) - D_l(\tilde x) \rVert^2$ per image. Three losses:
#
# $$\mathcal L_D = \mathrm{BCE}(D(x), \mathbf{0.9}) + \mathrm{BCE}(D(\tilde x), 0) + \mathrm{BCE}(D(x_p), 0)$$
# $$\mathcal L_\mathrm{enc} = \mathrm{KL}/n_\mathrm{latent} + L_\mathrm{feat},\qquad
#   \mathcal L_\mathrm{dec} = \gamma\,L_\mathrm{feat} + \mathrm{BCE}(D(\tilde x), 1) + \mathrm{BCE}(D(x_p), 1)$$
#
# **One-sided label smoothing** is the $\mathbf{0.9}$: the real digits' target drops from 1 to `real_label`, so
# $D$ gains nothing by pushing its logits on real digits to $+\infty$, and its gradient to the decoder stays
# bounded. Only the real side is smoothed: a fake target above 0 would reward $D$ for letting fakes pass.
#
# Each network learns from **its own** loss only (no GAN gradient reaches the encoder): the three losses come from
# one recorded forward pass and are back-propagated one at a time, **the discriminator's first**; each backward
# pass overwrites the gradients of every network it reaches, so $D$'s and then the encoder's gradients are kept
# aside and put back after the decoder's pass. Then the three Adams step. The scheme has three optimisers, the
# `StepKit` two, so the page builds the encoder's and the decoder's Adams from `k.config` (`lr`, `beta1`,
# `beta2`). `check_step` runs this step and the package's (`vaegan_gluon/train/schemes/larsen.py`, whose
# discriminator loss goes through `DiscLabels` of `stabilisers.py`) from the same weights, batch and random draws.

# %%
def bce(logits, target):
    """Per image: BCE(sigmoid(logits), target) summed over the image's entries, written from the logits."""
    per = nd.relu(logits) - logits * target + nd.log(1 + nd.exp(-nd.abs(logits)))
    return per.reshape((per.shape[0], -1)).sum(axis=1)


def own_grads(net):
    return [p.grad().copy() for p in net.collect_params().values() if p.grad_req != "null"]


def put_grads(net, kept):
    for p, g in zip([p for p in net.collect_params().values() if p.grad_req != "null"], kept):
        p.grad()[:] = g


def smoothed_larsen_step(k):
    """One VAE/GAN step with one-sided label smoothing on the kit `k` (networks, D's Adam, a batch, the config)."""
    c, vae, disc, x, n = k.config, k.vae, k.disc, k.x, k.x.shape[0]
    adam = {"learning_rate": c.lr, "beta1": c.beta1, "beta2": c.beta2}
    enc_trainer = gluon.Trainer(vae.encoder.collect_params(), "adam", adam)
    dec_trainer = gluon.Trainer(vae.decoder.collect_params(), "adam", adam)
    ones, zeros = nd.ones((n, 1)), nd.zeros((n, 1))
    with autograd.record():
        mu, logvar = vae.encode(x)
        z = mu + nd.exp(0.5 * logvar) * nd.random.normal_like(mu)
        z_p = nd.random.normal_like(mu)
        fake = nd.sigmoid(vae.decode(nd.concat(z, z_p, dim=0)))   # [x_tilde; x_p]: one decoder pass
        l_real, f_real = disc(x.detach())                           # D's logits and its layer-l features
        l_fake, f_fake = disc(fake)
        l_tilde, l_prior, f_tilde = l_fake[:n], l_fake[n:], f_fake[:n]
        kl = -0.5 * nd.sum(1 + logvar - mu ** 2 - nd.exp(logvar), axis=1)
        feat = ((f_real.detach() - f_tilde) ** 2).reshape((n, -1)).sum(axis=1)
        dis_loss = bce(l_real, c.real_label * ones) + bce(l_tilde, zeros) + bce(l_prior, zeros)   # smoothed
        enc_loss = c.extra.kl_weight * kl / mu.shape[1] + feat
        dec_loss = c.extra.gamma * feat + bce(l_tilde, ones) + bce(l_prior, ones)
    dis_loss.backward(retain_graph=True)     # 1. the discriminator's gradient, kept aside
    kept_disc = own_grads(disc)
    enc_loss.backward(retain_graph=True)     # 2. the encoder's
    kept_enc = own_grads(vae.encoder)
    dec_loss.backward()                      # 3. the decoder's, last
    put_grads(disc, kept_disc)
    put_grads(vae.encoder, kept_enc)
    enc_trainer.step(n)
    dec_trainer.step(n)
    k.disc_trainer.step(n)


check_step("mnist-stab-smooth", smoothed_larsen_step, SCALE, overrides=OVERRIDES["mnist-stab-smooth"]);

# %% [markdown]
# The other stabilisers change the same discriminator loss or $D$'s inputs: noisy labels draw each target from
# $[0.9, 1]$ or $[0, 0.1]$, flipping swaps a random share of them (and all of them for a few batches when $D$ is
# right too often), instance noise feeds $D$ $x + \sigma_e\,\varepsilon$ and $\tilde x + \sigma_e\,\varepsilon'$
# with $\sigma_e$ annealed to 0 over the epochs, and minibatch discrimination lets $D$ compare each image's features
# with the rest of the batch, so a batch of identical fakes is easy to spot.
#
# ## Train

# %%
runs = {name: run_experiment(name, SCALE, results_root=RESULTS, overrides=OVERRIDES[name], **RUN, progress=True,
                             overwrite=True, keep_checkpoints=False) for name in VARIANTS}

# %% [markdown]
# ## The judge and the samples
#
# The shipped digit classifier labels `N_SAMPLES` prior samples of each run. Coverage means something only if the
# samples are digits, so the figure shows twenty samples per run first, then each class's share of the samples
# (the black line is the even share, 0.1).

# %%
clf = get_extractor("mnist")   # the shipped digit classifier (vaegan extractors list)
rows, shares = {}, {}
fig, axes = plt.subplots(len(runs) + 1, 1, figsize=(9, 1.1 * len(runs) + 2.6),
                         gridspec_kw={"height_ratios": [1] * len(runs) + [2.4]})
for ax, (name, r) in zip(axes, runs.items()):
    samples = r.trainer.vae.sample(N_SAMPLES, ctx=r.trainer.ctx[0]).asnumpy()
    cov = mode_coverage(clf.predict(samples), n_classes=10)
    shares[name] = cov.pop("shares")
    m = r.metrics
    rows[name] = {**cov, "blur_samples": m.get("blur_samples"), "recon_mse": m.get("recon_mse"),
                  "disc_acc_real": m.get("disc_acc_real"), "disc_acc_fake": m.get("disc_acc_fake")}
    ax.imshow(viz.image_grid(samples[:20], nrow=20), cmap="gray")
    ax.set_axis_off()
    ax.set_title(name, fontsize=8, loc="left")
pd.DataFrame(shares, index=range(10)).plot.bar(ax=axes[-1], width=0.8)
axes[-1].axhline(0.1, color="k", lw=0.5)
axes[-1].set(xlabel="digit class", ylabel="share of samples")
axes[-1].legend(fontsize=7, ncol=len(runs))
fig.tight_layout()
plt.show()

# %% [markdown]
# ## The numbers
#
# Per run: the classes covered (`n_covered`: a share of at least half the even one), the largest share, the KL
# to uniform, the blur factor of the samples, the reconstruction error and the discriminator's accuracy on real
# and generated validation digits.

# %%
cov = pd.DataFrame.from_dict(rows, orient="index")
cov

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
# The lines "What we saw" reads: each run's coverage against the run without stabilisers, its discriminator's
# accuracies, and the judge's own accuracy on real test digits.

# %%
base = cov.loc["mnist-stab-none"]
for name, r in cov.iterrows():
    print(f"{name:26s} {int(r['n_covered'])} of 10 classes, max share {r['max_share']:.2f}, KL to uniform "
          f"{r['kl_to_uniform']:.3f} ({r['kl_to_uniform'] - base['kl_to_uniform']:+.3f} vs none); D right on "
          f"{r['disc_acc_real']:.3f} of real, {r['disc_acc_fake']:.3f} of generated digits")
print(f"the judge's accuracy on real test digits: {clf.info['held_out_accuracy']:.3f}")

# %% [markdown]
# ## What we saw
#
# The first line printed at the top names the scale; one seed per run, so the lines above are readings, not a
# verdict. The GAN-hacks claim is that a stabiliser keeps the samples' classes closer to even: it holds for a run
# here if its KL to uniform printed below `none`'s (a negative change) with as many classes covered, **and** its
# row of samples in the figure shows digits. Without digits the shares are the judge's labels for blotches, not
# coverage of digit modes (at `quick` the samples are not yet digits; the board's `samples are images` gate
# exists for this). The discriminator's two accuracies say whether the game was balanced: a discriminator right
# on nearly every generated digit and few real ones has stopped telling the generator anything useful, which is
# what label smoothing is meant to prevent.
#
# <!-- claims: generated by python -m vaegan_gluon.experiments.claims_text; do not edit -->
# ### What the claims board says
#
# The board (`results/reference/claims.json`, board of commit `d53612f5f63a`; rule and gates in `results/reference/claims.md`) over seeds, not the single runs above. Verdicts here: untested 3. Per-seed values are the claim's metric; the effect is ours − reference (for a lower-is-better metric, reference − ours), so a positive effect means ours is better on it.
#
# - `stab-smooth-coverage` — MNIST: one-sided label smoothing keeps the digit classes of the Larsen VAE/GAN's samples closer to uniform (KL of their class histogram). **untested**: no run of ours.
#   `mode_coverage.kl_to_uniform` ↓: ours (`mnist-stab-smooth with disc.feature_layer=1, train.extra.disc_pass=pruned, train.extra.gamma=1000.0, train.n_epochs=32, train.n_solo_epochs=8`) –; reference (`mnist-larsen-vaegan with disc.feature_layer=1, train.extra.disc_pass=pruned, train.extra.gamma=1000.0, train.n_epochs=32, train.n_solo_epochs=8`) –; not tested.
# - `stab-flip-coverage` — MNIST: occasional label flipping keeps the digit classes of the Larsen VAE/GAN's samples closer to uniform (KL of their class histogram). **untested**: no run of ours.
#   `mode_coverage.kl_to_uniform` ↓: ours (`mnist-stab-flip with disc.feature_layer=1, train.extra.disc_pass=pruned, train.extra.gamma=1000.0, train.n_epochs=32, train.n_solo_epochs=8`) –; reference (`mnist-larsen-vaegan with disc.feature_layer=1, train.extra.disc_pass=pruned, train.extra.gamma=1000.0, train.n_epochs=32, train.n_solo_epochs=8`) –; not tested.
# - `stab-minibatch-coverage-mnist` — MNIST: does minibatch discrimination (batch 64) change how evenly the samples cover the digit classes (KL of their class histogram from uniform)? **untested**: no run of ours.
#   `mode_coverage.kl_to_uniform` ↓: ours (`mnist-stab-minibatch with disc.feature_layer=1, train.extra.disc_pass=pruned, train.extra.gamma=1000.0, train.n_epochs=32, train.n_solo_epochs=8`) –; reference (`mnist-larsen-vaegan with disc.feature_layer=1, train.extra.disc_pass=pruned, train.extra.gamma=1000.0, train.n_epochs=32, train.n_solo_epochs=8`) –; not tested.
# <!-- end of claims -->

# %% [markdown]
# ## Summary
#
# * Each stabiliser is a switch of every scheme; each changes the discriminator's targets or its inputs.
# * One-sided label smoothing is one number in the discriminator's loss: the real target 0.9, the fake target 0.
# * Mode coverage: a classifier's shares over prior samples, summarised by the classes covered and the KL to
#   uniform; it means something only when the samples are digits.

# %% [markdown]
# ## Exercises
#
# 1. Smooth the fake side too: change `zeros` to `0.1 * ones` in `dis_loss` and run `check_step` again. Which
#    network's gradients differ, and why is a fake target above 0 a bad idea?
# 2. Set `real_label = 0.7` in the hyperparameter cell and re-run: how do the smooth run's discriminator
#    accuracies and its coverage line move?
# 3. What KL to uniform does a run with two equally shared classes have? Check with the formula.
# 4. Add `mnist-stab-noisy-labels` and `mnist-stab-dropout` to `VARIANTS`. Instance noise raises `blur_samples`:
#    why is that not sharpness?

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
