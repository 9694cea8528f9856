"""The adversarial weight measured at the decoder's last layer: the diagnostic and the adaptive weight.

VQGAN (Esser et al. 2021, taming-transformers ``calculate_adaptive_weight``) and the latent-diffusion
autoencoders weight the adversarial term of the generator's loss by the ratio of two gradient norms at the
decoder's last layer ``W_L``::

    lambda = clamp(|grad_{W_L} L_rec| / (|grad_{W_L} L_adv| + 1e-4), 0, 1e4), detached, x disc_weight

so that both terms push the decoder's output equally hard whatever the scale of the reconstruction loss
(a per-image *sum* over 784 or 12,288 pixels here: the study's "disc weight 10" means something else on
every data set). Here:

* **the diagnostic** (every combo run with a discriminator, schemes ``learnable_loss`` and ``aegan``): the
  ratio ``|grad_{W_L} R| / (|grad_{W_L} A| + 1e-4)`` -- ``R`` the *weighted* reconstruction term of the
  generator's loss (``pbp_weight * PBP``; ``alpha * ae`` in ``aegan``), ``A`` the *unweighted* adversarial
  term ``BCE(D(x_hat), real)``, both summed over the batch (the batch size cancels) -- measured every
  ``TrainConfig.grad_ratio_every`` adversarial steps (and on the first), held in between, and averaged
  over the epoch's images into the CSV column ``grad_ratio`` (so into TensorBoard's ``train/grad_ratio``
  and the loss-curve figure). It is ``lambda / disc_weight`` before the clamp: the weight the adaptive mode
  would have used.
* **``TrainConfig.disc_weight_mode = "adaptive"``**: the adversarial term's weight becomes
  ``clamp(ratio, 0, 1e4) * disc_weight``, recomputed at *every* step (taming does the same: the weight
  multiplies the gradient it was measured against; a stale one would not), detached (no gradient flows
  through it). Column ``adv_weight`` (``learnable_loss``; ``aegan`` records it as ``beta``) is the weight
  in force, averaged over the epoch's images.

Both gradients are first order: one backward pass of each term's recorded output through the retained
graph (``retain_graph=True``), ``W_L``'s gradient read after each, before the step's own backward pass
(which overwrites every gradient they wrote: ``grad_req="write"``), so the update is unchanged
(tests/test_adaptive_weight_identity.py: the default settings train
bit-identically to the code before this module). MXNet 1.x has no second-order gradient for Convolution or
FullyConnected (apache/mxnet issues 10002 and 12529), so nothing here differentiates through the ratio.

**Cost** (``python -m benchmarks.grad_ratio_cost``, OMP_NUM_THREADS=1, 2 shared cores, hybridized, batch 64):
measuring costs 0.6-1.6 steps (two extra backward passes through the whole VAE, and for the adversarial
term through D): ConvVAE(128, 16) + ConvDisc(32) at 3x32x32 0.275 -> 0.438 s a step measured every step
(+59 %; +155 % in a more loaded run), DenseVAE(5, 3x400) + DenseLogReg(1x200) 0.029 -> 0.053 s (+84 %; +140 %).
Every 50 steps (the default ``grad_ratio_every``) that is 1.2-3.1 %, under 5 % in both runs; every 10 it
would be 6-16 %. The adaptive mode pays it at every step (+67 % and +87 % in the same runs). BatchNorm
updates its running statistics in the backward pass in MXNet, so :meth:`GradRatio.measure` puts them back
after its two passes (otherwise a measured step would move them three times).

Not for ``larsen``: its decoder has no pixel reconstruction term in combo epochs; the reconstruction it
learns from is the discriminator's own feature loss ``gamma * L_feat``, and ``gamma`` already is the knob
that balances it against the GAN term (a ratio of two terms that both come from the same discriminator
would rescale the GAN term by a number the discriminator itself moves).
"""
from mxnet import autograd, nd

__all__ = ["DISC_WEIGHT_MODES", "ADAPTIVE_SCHEMES", "EPS", "CLAMP", "decoder_last_weight", "GradRatio"]

DISC_WEIGHT_MODES = ("fixed", "adaptive")
ADAPTIVE_SCHEMES = ("learnable_loss", "aegan")   # the schemes with an adversarial term on the reconstruction
EPS, CLAMP = 1e-4, 1e4                           # taming-transformers' values


def decoder_last_weight(vae):
    """The weight :class:`~mxnet.gluon.Parameter` of the decoder's final layer ``W_L``: the last trainable
    parameter named ``*weight`` of ``vae.decoder`` (DenseVAE: the output Dense of ``_DenseDecoder``; the
    convolutional VAEs and the AE: the last ``Conv2DTranspose`` of :class:`~..models.layers.DCGANDecoder`).
    BatchNorm's parameters are ``gamma``/``beta``/``running_*`` and never match."""
    dec = getattr(vae, "decoder", None)
    if dec is None:
        raise ValueError(f"{type(vae).__name__} has no .decoder: the gradient ratio needs the decoder's last layer")
    last = None
    for name, p in dec.collect_params().items():
        if name.endswith("weight") and p.grad_req != "null":
            last = p
    if last is None:
        raise ValueError(f"{type(vae).__name__}.decoder has no trainable weight")
    return last


class GradRatio:
    """Measures ``|grad_{W_L} rec| / (|grad_{W_L} adv| + EPS)`` on a step's recorded graph (module docstring).

    ``every``: measure every this many calls of :meth:`due` (and on the first); 0 only on the first.
    """

    def __init__(self, vae, every, disc=None):
        self.weight = decoder_last_weight(vae)
        # MXNet's BatchNorm updates its running mean and variance in the *backward* pass (CPU and oneDNN): the
        # diagnostic's passes would move them twice more per measured step, so they are put back after them
        self.aux = [p for net in (vae, disc) if net is not None for p in net.collect_params().values()
                    if p.grad_req == "null"]
        self.every = int(every)
        self.count = 0
        self.held = None   # (1,) device array: the last measured ratio

    def state_dict(self):
        """``{"count", "held"}`` (JSON-able; the held ratio read to the host, once per checkpoint)."""
        return {"count": self.count, "held": None if self.held is None else float(self.held.asscalar())}

    def load_state_dict(self, state, ctx):
        self.count = int(state["count"])
        self.held = None if state["held"] is None else nd.array([state["held"]], ctx=ctx)

    def due(self):
        """Count one adversarial step; True when it is to be measured."""
        due = self.held is None or (self.every > 0 and self.count % self.every == 0)
        self.count += 1
        return due

    def grad_norm(self, heads):
        """``|grad_{W_L} sum(heads)|``, the per-context heads' gradients summed over contexts: ``(1,)``.

        A backward pass of ``heads`` through the retained graph, ``W_L``'s gradient read after it. Not
        ``autograd.grad(heads, [W_L])``: with MXNet 1.9.1 + oneDNN it fails on every Conv2DTranspose decoder
        ("could not execute a primitive"; the Dense decoders work). The pass writes every reached
        parameter's gradient buffer (``grad_req="write"``); the step's own backward pass, which reaches the
        same parameters, overwrites them all before any update, so the update is unchanged; the running
        statistics a BatchNorm moves in backward are restored by :meth:`measure`."""
        autograd.backward(heads, retain_graph=True)
        grads = [self.weight.grad(h.context) for h in heads]
        ctx0 = heads[0].context
        total = grads[0]
        for g in grads[1:]:
            total = total + g.as_in_context(ctx0)
        return nd.norm(total).reshape((1,))

    def measure(self, rec_heads, adv_heads, rec_scale=1.0):
        """The ratio of one step (also kept as :attr:`held`): ``rec_scale * |grad sum(rec_heads)| /
        (|grad sum(adv_heads)| + EPS)``; ``rec_scale`` is the reconstruction term's weight (a float)."""
        kept = [[d.copy() for d in p.list_data()] for p in self.aux]
        num = self.grad_norm(rec_heads) * float(rec_scale)
        self.held = num / (self.grad_norm(adv_heads) + EPS)
        for p, data in zip(self.aux, kept):   # the running statistics as they were (see __init__)
            for d, k in zip(p.list_data(), data):
                d[:] = k
        return self.held

    @staticmethod
    def weight_of(ratio, disc_weight):
        """The adaptive weight ``clamp(ratio, 0, CLAMP) * disc_weight`` (detached: ``ratio`` is read from gradient
        buffers, outside any recording)."""
        return nd.clip(ratio, 0.0, CLAMP) * float(disc_weight)
