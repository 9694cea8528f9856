"""The faithful reference: the original study's training step, operation for operation, on our models.

The original (its ``train_VAE_GAN``; model classes ``ConvVAE`` / ``DeepConvVAE`` / ``DenseVAE``
whose ``forward`` returns the per-image loss and whose ``generate`` returns ``sigmoid`` images) per
combo batch does::

    genuine_labels, generated_labels = nd.ones((n,)), nd.zeros((n,))
    with autograd.record():                                   # (1) the discriminator
        genuine_loss = SBCE(disc(x), genuine_labels)           # gluon SigmoidBinaryCrossEntropyLoss
        generated_loss = SBCE(disc(vae.generate(x)), generated_labels)   # VAE pass 1, NOT detached
        disc_loss = genuine_loss + generated_loss
        disc_loss.backward()                                   # flows through the whole VAE for nothing
        disc_batch_losses.append(nd.mean(disc_loss).asscalar())          # host sync
    disc_trainer.step(n)
    with autograd.record():                                   # (2) the VAE
        batch_disc_loss = SBCE(disc(vae.generate(x)), genuine_labels)    # VAE pass 2
        gen_loss = vae(x) + batch_disc_loss * disc_loss_mul * use_disc_loss   # VAE pass 3 (KL + PBP)
        gen_loss.backward()
        vae_batch_losses.append(nd.mean(gen_loss).asscalar())            # host sync
    vae_trainer.step(n)

with the loss inside ``vae(x)``: ``kl = -0.5 * sum(1 + logvar - mu*mu - exp(logvar), axis=1)``,
``logloss = -sum(x * log(x_hat + 1e-10) + (1 - x) * log(1 - x_hat + 1e-10), axis=1)`` on flattened
``x`` / ``x_hat = sigmoid(.)``, ``loss = kl + logloss * pbp_weight``. A solo batch is
``loss = vae(x); loss.backward(); vae_trainer.step(n); nd.mean(loss).asscalar()``. Stock ``"adam"``,
unhybridized blocks, every operator dispatched from Python. :class:`ReferenceStep` does exactly that
with our model classes (their forward gives ``(logits, mu, logvar)``: ``x_hat = sigmoid(logits)``).

**One change, only where the original cannot run:** passes 2 and 3 in one recorded graph put every
``Conv2DTranspose`` in it twice, and MXNet 1.9.1 + oneDNN segfaults in that backward. For VAEs with a
``Conv2DTranspose`` (``split_backward=None`` = auto) the VAE's backward is **split**: the two passes
are recorded and back-propagated one after the other with ``grad_req='add'`` (zeroed first); the
gradients add up to the original's. The dense VAEs run the original's single backward.

``diagnostics=True`` (tests) additionally returns the same batch sums as our fast step
(``vae_loss, pbp_loss, kl, adv_loss, disc_loss, disc_correct_real, disc_correct_fake``), computed after
the step from arrays the step made anyway; the benchmark leaves it off, so the timed loop does the
original's operators and its two host reads per combo batch (one per solo batch), nothing else.
``tests/test_bench.py`` checks losses, gradients and updated parameters against our step.
"""
import mxnet as mx
from mxnet import autograd, gluon, nd
from mxnet.gluon import loss as gloss, nn

__all__ = ["ReferenceStep", "has_conv_transpose"]


def has_conv_transpose(block):
    if isinstance(block, nn.Conv2DTranspose):
        return True
    return any(has_conv_transpose(c) for c in block._children.values())


class ReferenceStep:
    """The original's training step on unhybridized ``vae`` / ``disc`` (``disc=None``: solo only).

    ``noise_seed``: if not None, ``mx.random.seed(noise_seed)`` before *every* VAE pass, so all of
    them draw the same ``eps`` (the tests compare with the fast step run after the same seed).
    ``step(x, phase)`` returns host floats: the original's batch means (``disc_loss_mean``,
    ``vae_loss_mean``), plus batch sums with ``diagnostics=True``.
    """

    def __init__(self, vae, disc=None, lr=1e-3, disc_lr=None, beta1=0.9, beta2=0.999, pbp_weight=1.0,
                 disc_weight=1.0, noise_seed=None, split_backward=None, diagnostics=False):
        self.vae, self.disc = vae, disc
        self.pbp_weight, self.disc_loss_mul, self.use_disc_loss = pbp_weight, disc_weight, 1
        self.noise_seed, self.diagnostics = noise_seed, diagnostics
        self.split = has_conv_transpose(vae) if split_backward is None else bool(split_backward)
        adam = {"beta1": beta1, "beta2": beta2}
        self.vae_trainer = gluon.Trainer(vae.collect_params(), "adam", dict(adam, learning_rate=lr))
        self.disc_trainer = None
        self.disc_loss_func = gloss.SigmoidBinaryCrossEntropyLoss(from_sigmoid=False)
        if disc is not None:
            self.disc_trainer = gluon.Trainer(disc.collect_params(), "adam",
                                              dict(adam, learning_rate=disc_lr or lr))
            if self.split:   # the split VAE backward: two passes whose gradients add up
                for p in vae.collect_params().values():
                    if p.grad_req != "null":
                        p.grad_req = "add"

    # -- the original model classes' forward / generate, on our blocks
    def _seed(self):
        if self.noise_seed is not None:
            mx.random.seed(self.noise_seed)

    def generate(self, x):
        self._seed()
        return nd.sigmoid(self.vae(x)[0])

    def vae_loss(self, x):
        """The original's ``vae_net(x)``: per-image ``kl + logloss * pbp_weight`` (and its parts)."""
        self._seed()
        logits, mu, logvar = self.vae(x)
        x_hat = nd.sigmoid(logits)
        kl = -0.5 * nd.sum(1 + logvar - mu * mu - nd.exp(logvar), axis=1)
        xf, xhf = x.reshape((x.shape[0], -1)), x_hat.reshape((x_hat.shape[0], -1))
        logloss = -nd.sum(xf * nd.log(xhf + 1e-10) + (1 - xf) * nd.log(1 - xhf + 1e-10), axis=1)
        return kl + logloss * self.pbp_weight, logloss, kl

    def _zero_vae_grads(self):
        for p in self.vae.collect_params().values():
            if p.grad_req != "null":
                p.zero_grad()

    # -- the step
    def step(self, x, phase="combo"):
        n = x.shape[0]
        if phase != "combo" or self.disc is None:
            if self.disc is not None and self.split:
                self._zero_vae_grads()
            with autograd.record():
                loss, logloss, kl = self.vae_loss(x)
                loss.backward()
            self.vae_trainer.step(n)
            out = {"vae_loss_mean": nd.mean(loss).asscalar()}
            if self.diagnostics:
                out.update(vae_loss=loss.sum().asscalar(), pbp_loss=logloss.sum().asscalar(),
                           kl=kl.sum().asscalar())
            return out
        genuine_labels = nd.ones((n,), ctx=x.context)
        generated_labels = nd.zeros((n,), ctx=x.context)
        # (1) the discriminator, with VAE pass 1 inside its graph (not detached)
        with autograd.record():
            genuine_logit_preds = self.disc(x)
            genuine_loss = self.disc_loss_func(genuine_logit_preds, genuine_labels)
            generated_features = self.generate(x)
            generated_logit_preds = self.disc(generated_features)
            generated_loss = self.disc_loss_func(generated_logit_preds, generated_labels)
            disc_loss = genuine_loss + generated_loss
            disc_loss.backward()
            disc_mean = nd.mean(disc_loss).asscalar()
        if self.diagnostics:   # D's own-update gradients (its VAE half overwrites them with unused ones)
            self.disc_update_grads = [p.grad().copy() for p in self.disc.collect_params().values()
                                      if p.grad_req != "null"]
        self.disc_trainer.step(n)
        # (2) the VAE: pass 2 (adversarial term) and pass 3 (KL + PBP)
        if not self.split:
            with autograd.record():
                adv_logits = self.disc(self.generate(x))
                batch_disc_loss = self.disc_loss_func(adv_logits, genuine_labels)
                vae_part, logloss, kl = self.vae_loss(x)
                gen_loss = vae_part + batch_disc_loss * self.disc_loss_mul * self.use_disc_loss
                gen_loss.backward()
                gen_mean = nd.mean(gen_loss).asscalar()
        else:
            self._zero_vae_grads()
            with autograd.record():
                adv_logits = self.disc(self.generate(x))
                batch_disc_loss = self.disc_loss_func(adv_logits, genuine_labels)
                adv_part = batch_disc_loss * self.disc_loss_mul * self.use_disc_loss
                adv_part.backward()
            with autograd.record():
                vae_part, logloss, kl = self.vae_loss(x)
                vae_part.backward()
            gen_loss = vae_part + adv_part
            gen_mean = nd.mean(gen_loss).asscalar()
        self.vae_trainer.step(n)
        out = {"disc_loss_mean": disc_mean, "vae_loss_mean": gen_mean}
        if self.diagnostics:
            out.update(disc_loss=disc_loss.sum().asscalar(), vae_loss=gen_loss.sum().asscalar(),
                       adv_loss=batch_disc_loss.sum().asscalar(), pbp_loss=logloss.sum().asscalar(),
                       kl=kl.sum().asscalar(),
                       disc_correct_real=(genuine_logit_preds > 0).sum().asscalar(),
                       disc_correct_fake=(generated_logit_preds <= 0).sum().asscalar())
        return out
