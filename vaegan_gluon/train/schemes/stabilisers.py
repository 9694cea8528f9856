"""GAN stabilisers, each switchable, each off by default, usable by every scheme.

The label tricks live in :class:`DiscLabels`, which every scheme's discriminator loss goes through
(:class:`~vaegan_gluon.train.schemes.LearnableLoss`, ``larsen``, ``aegan``); the per-epoch ones
(instance-noise decay) in :meth:`Scheme.epoch_begin`. Each is a ``train.extra`` key of every scheme
(:class:`StabiliserSettings`); the targets themselves are ``TrainConfig.real_label`` / ``fake_label`` (one-sided
smoothing: ``real_label`` 0.9).

Model-side stabilisers are discriminator hyperparameters (see :mod:`vaegan_gluon.models.discriminators`):
``dropout``, ``minibatch_features`` (minibatch discrimination), ``instance_noise``,
``bn_before_activation`` (the TF2 VAE-GAN project: BatchNorm must come before the activation).
The generator-side "flip labels when training the generator" of the TF2 project is the
non-saturating loss ``BCE(D(fake), real)`` that every scheme already uses.
"""
from dataclasses import dataclass
from typing import Optional

from mxnet import nd

from ... import losses
from ...models.discriminators import DiscOutput, run_disc
from ...schedules import LinearDecay
from ..settings import Settings, check_choice, check_range

__all__ = ["StabiliserSettings", "DiscLabels", "disc_logits", "disc_outputs", "InstanceNoiseSchedule",
           "STABILISER_KEYS", "DISC_BATCHES"]

DISC_BATCHES = ("separate", "joint")
STABILISER_KEYS = ("label_noise", "label_flip_prob", "flip_when_disc_acc", "flip_steps",
                   "disc_batches", "instance_noise_stddev", "instance_noise_epochs")


@dataclass
class StabiliserSettings(Settings):
    """The stabilisers' keys of ``train.extra``, shared by every scheme (each scheme's settings extend it)."""
    # real target real_label - u * label_noise, fake fake_label + u * ..., u ~ U(0, 1)
    label_noise: float = 0.0
    label_flip_prob: float = 0.0          # swap each image's real/fake target with this probability
    # D's batch accuracy (reals and fakes, before its update) above this: swap all targets for the next
    # flip_steps batches (the VAE-GAN blog's trick 4; the counter lives on device)
    flip_when_disc_acc: Optional[float] = None
    flip_steps: int = 0
    # "separate": D sees reals and fakes in two calls (BatchNorm normalises each kind by its own statistics: the
    # blog's trick 9); "joint": one concatenated call
    disc_batches: str = "separate"
    # instance noise on D's inputs (D built with instance_noise=True), annealed linearly to 0 over
    # instance_noise_epochs epochs counted from the first combo epoch
    instance_noise_stddev: float = 0.0
    instance_noise_epochs: int = 10

    def validate(self):
        check_range("label_noise", self.label_noise, 0, 1)
        check_range("label_flip_prob", self.label_flip_prob, 0, 1, hi_open=True)
        if self.flip_when_disc_acc is not None:
            check_range("flip_when_disc_acc", self.flip_when_disc_acc, 0, 1, lo_open=True, hi_open=True)
            if self.flip_steps < 1:   # the user set the threshold: name it, and the key it needs
                raise ValueError(f"setting flip_when_disc_acc={self.flip_when_disc_acc!r} needs flip_steps >= 1 "
                                 f"(how many batches to flip the labels for; it is {self.flip_steps!r}): add "
                                 "--set train.extra.flip_steps=N, e.g. 3")
        check_range("flip_steps", self.flip_steps, 0)
        check_choice("disc_batches", self.disc_batches, DISC_BATCHES)
        check_range("instance_noise_stddev", self.instance_noise_stddev, 0)
        check_range("instance_noise_epochs", self.instance_noise_epochs, 1)


def disc_outputs(disc, real, fake, joint=False):
    """``(D(real), D(fake))`` as :class:`~vaegan_gluon.models.discriminators.DiscOutput` pairs, from two calls
    (default) or one concatenated call (``joint``) whose every output is split back into its real and fake rows.

    The two choices differ when D has BatchNorm (training-mode statistics over each batch or over the
    mixed batch) or minibatch discrimination (which compares images within the batch).
    """
    if not joint:
        return run_disc(disc, real), run_disc(disc, fake)
    n = real.shape[0]
    out = run_disc(disc, nd.concat(real, fake, dim=0))
    return tuple(DiscOutput(*(None if o is None else nd.slice_axis(o, axis=0, begin=b, end=e) for o in out))
                 for b, e in ((0, n), (n, None)))


def disc_logits(disc, real, fake, joint=False):
    """``(D(real), D(fake))`` logits (:func:`disc_outputs`)."""
    o_real, o_fake = disc_outputs(disc, real, fake, joint)
    return o_real.logits, o_fake.logits


class DiscLabels:
    """The discriminator's targets with the label tricks; with the defaults, exactly
    :func:`vaegan_gluon.losses.discriminator_loss` (same ops, no random numbers drawn)."""

    def __init__(self, real_label=1.0, fake_label=0.0, label_noise=0.0, label_flip_prob=0.0,
                 flip_when_disc_acc=None, flip_steps=0):
        for name, v in (("real_label", real_label), ("fake_label", fake_label)):
            if not 0 <= v <= 1:
                raise ValueError(f"{name} must be in [0, 1], got {v!r}")
        if not 0 <= label_noise <= 1:
            raise ValueError(f"label_noise must be in [0, 1], got {label_noise!r}")
        if not 0 <= label_flip_prob < 1:
            raise ValueError(f"label_flip_prob must be in [0, 1), got {label_flip_prob!r}")
        if flip_when_disc_acc is not None and (not 0 < flip_when_disc_acc < 1 or int(flip_steps) < 1):
            raise ValueError("flip_when_disc_acc must be in (0, 1) and flip_steps >= 1, got "
                             f"{flip_when_disc_acc!r}, {flip_steps!r}")
        self.real_label, self.fake_label = float(real_label), float(fake_label)
        self.label_noise, self.label_flip_prob = float(label_noise), float(label_flip_prob)
        self.flip_when_disc_acc, self.flip_steps = flip_when_disc_acc, int(flip_steps)
        self._counter = None   # device (1,) float: batches of flipped labels still to go

    @classmethod
    def from_config(cls, config):
        e = config.extra
        return cls(real_label=config.real_label, fake_label=config.fake_label, label_noise=e.label_noise,
                   label_flip_prob=e.label_flip_prob, flip_when_disc_acc=e.flip_when_disc_acc,
                   flip_steps=e.flip_steps)

    @property
    def plain(self):
        """True when no random/stateful trick is on (constant targets)."""
        return self.label_noise == 0 and self.label_flip_prob == 0 and self.flip_when_disc_acc is None

    def targets(self, logits, real):
        """Targets ``(N, 1)`` for a batch of ``logits`` ``(N, 1)`` of real (True) or fake images."""
        own, other = (self.real_label, self.fake_label) if real else (self.fake_label, self.real_label)
        if self.plain:
            return own
        ctx = logits.context
        t = nd.ones_like(logits) * own
        if self.label_noise > 0:
            u = nd.random.uniform(0, self.label_noise, shape=logits.shape, ctx=ctx)
            t = t - u if own > other else t + u
        flip = None
        if self.label_flip_prob > 0:
            flip = nd.random.uniform(shape=logits.shape, ctx=ctx) < self.label_flip_prob
        if self.flip_when_disc_acc is not None:
            steps_on = (self._counter_on(ctx) > 0).reshape((1, 1))
            flip = steps_on if flip is None else nd.broadcast_maximum(flip, steps_on)
        if flip is not None:
            t = nd.broadcast_add(nd.broadcast_mul(1 - flip, t), nd.broadcast_mul(flip, nd.ones_like(t) * other))
        return t.detach()

    def terms(self, real_logits, fake_logits):
        """Per-image ``(BCE(D(real), real target) (N,), BCE(D(fake), fake target) (M,))``."""
        return (losses.adversarial_loss(real_logits, self.targets(real_logits, True)),
                losses.adversarial_loss(fake_logits, self.targets(fake_logits, False)))

    def loss(self, real_logits, fake_logits):
        """Per-image discriminator loss ``(N,)`` (real and fake batches of the same size)."""
        if self.plain and self.fake_label == 0.0:
            return losses.discriminator_loss(real_logits, fake_logits, real_label=self.real_label)
        r, f = self.terms(real_logits, fake_logits)
        return r + f

    def _counter_on(self, ctx):
        if self._counter is None:
            self._counter = nd.zeros((1,), ctx=ctx)
        return self._counter.as_in_context(ctx)

    def observe(self, real_logits, fake_logits):
        """After a discriminator step: arm the k-step flip if it was too accurate (device arithmetic only)."""
        if self.flip_when_disc_acc is None:
            return
        reals = real_logits if isinstance(real_logits, (list, tuple)) else [real_logits]
        fakes = fake_logits if isinstance(fake_logits, (list, tuple)) else [fake_logits]
        ctx = self._counter_on(reals[0].context).context
        correct = sum(((r > 0).sum().as_in_context(ctx) for r in reals), nd.zeros((1,), ctx=ctx))
        correct = correct + sum(((f <= 0).sum().as_in_context(ctx) for f in fakes), nd.zeros((1,), ctx=ctx))
        total = sum(r.shape[0] for r in reals) + sum(f.shape[0] for f in fakes)
        strong = (correct / total > self.flip_when_disc_acc)
        c = self._counter.as_in_context(ctx)
        running = c > 0
        self._counter = (running * (c - 1) + (1 - running) * strong * self.flip_steps).detach()

    def state_dict(self):
        return {"flip_counter": None if self._counter is None else float(self._counter.asscalar())}

    def load_state_dict(self, state):
        v = state.get("flip_counter")
        self._counter = None if v is None else nd.full((1,), float(v))


class InstanceNoiseSchedule:
    """Set the discriminator's instance-noise stddev at each epoch begin: ``s0 * max(0, 1 - e / E)``."""

    def __init__(self, stddev, epochs=10):
        self.decay = LinearDecay(stddev, epochs)

    @classmethod
    def from_config(cls, config):
        e = config.extra
        return cls(e.instance_noise_stddev, e.instance_noise_epochs) if e.instance_noise_stddev > 0 else None

    def apply(self, disc, epoch):
        if disc is None:
            return None
        s = self.decay.value(epoch)
        disc.set_noise_stddev(s)
        return s
