"""Models: VAEs (image -> logits, mu, logvar) and discriminators (image -> logits).

>>> from vaegan_gluon.models import get_model, count_parameters, initialize_model
>>> vae = get_model("ConvVAE", n_latent=8, base_channels=4, image_shape=(1, 28, 28))
>>> disc = get_model("ConvDisc", base_channels=8, feature_layer=2)
>>> initialize_model(disc, (1, 28, 28))   # initialize + one dummy forward to resolve shapes
>>> count_parameters(disc)["total"]

Blocks returned by :func:`get_model` are *not* initialized: the trainer initializes them
(``block.initialize(init, ctx=...)``). VAEs know all their parameter shapes at construction;
discriminators infer their input sizes on the first forward pass, so count their parameters after
:func:`initialize_model` (or any forward).
"""
import inspect

import mxnet as mx

from .discriminators import ConvDisc, DeepConvDisc, DenseLogReg, ResNetDisc
from .layers import InstanceNoise, MinibatchDiscrimination
from .vae import AE, ConvVAE, DeepConvVAE, DenseVAE, StridedConvVAE

__all__ = ["DenseVAE", "ConvVAE", "DeepConvVAE", "StridedConvVAE", "AE", "DenseLogReg", "ConvDisc",
           "DeepConvDisc", "ResNetDisc", "InstanceNoise", "MinibatchDiscrimination", "get_model",
           "list_models", "count_parameters", "initialize_model", "GENERATORS", "DISCRIMINATORS"]

GENERATORS = {c.__name__: c for c in (DenseVAE, ConvVAE, DeepConvVAE, StridedConvVAE, AE)}
DISCRIMINATORS = {c.__name__: c for c in (DenseLogReg, ConvDisc, DeepConvDisc, ResNetDisc)}
_MODELS = {**GENERATORS, **DISCRIMINATORS}


def list_models():
    """Names accepted by :func:`get_model` (class names; matching is case-insensitive)."""
    return list(_MODELS)


def _init_parameters(cls):
    """``{name: inspect.Parameter}`` of the named arguments ``cls(...)`` takes, in order: its own
    ``__init__``'s, then its bases' while each passes ``**kwargs`` on (the first that names one wins)."""
    params = {}
    for klass in cls.__mro__:
        if klass.__module__.startswith("mxnet"):
            break
        signature = inspect.signature(klass.__init__).parameters
        for name, p in signature.items():
            if name != "self" and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL):
                params.setdefault(name, p)
        if not any(p.kind == p.VAR_KEYWORD for p in signature.values()):
            break
    return params


def _hyperparameters(cls):
    # internal switches of the shared base class are not user hyperparameters
    return [n for n in _init_parameters(cls) if n != "hidden_dropout"] + ["prefix", "params"]


def get_model(name, **hyperparameters):
    """Build the model called ``name`` (case-insensitive) with ``hyperparameters``; not initialized.

    Raises ``ValueError`` for an unknown name (listing the valid ones) or an unknown
    hyperparameter (listing the valid ones for that model).
    """
    lookup = {k.lower(): v for k, v in _MODELS.items()}
    cls = lookup.get(str(name).lower())
    if cls is None:
        raise ValueError(f"unknown model {name!r}; valid names: {', '.join(_MODELS)}")
    valid = _hyperparameters(cls)
    unknown = [k for k in hyperparameters if k not in valid]
    if unknown:
        raise ValueError(f"{cls.__name__} has no hyperparameter {', '.join(map(repr, unknown))}; "
                         f"valid ones: {', '.join(v for v in valid if v not in ('prefix', 'params'))}")
    return cls(**hyperparameters)


def count_parameters(block):
    """``{"trainable", "non_trainable", "total"}`` parameter counts of ``block``.

    Non-trainable means ``grad_req == 'null'`` (BatchNorm running mean/var, the instance-noise
    stddev). Needs every shape known: VAEs know theirs at construction; for a discriminator call
    :func:`initialize_model` (or run one forward) first, else a ``ValueError`` says which parameter
    is unresolved.
    """
    counts = {"trainable": 0, "non_trainable": 0}
    for name, p in block.collect_params().items():
        shape = p.shape
        if shape is None or any(int(s) <= 0 for s in shape):
            raise ValueError(f"parameter {name} has unresolved shape {shape}: call "
                             "initialize_model(block, image_shape) or run one forward pass first")
        n = 1
        for s in shape:
            n *= int(s)
        # a finished run's Trainer.release() sets grad_req to 'null' to free gradients; it marks the
        # parameters it froze so that they still count as trainable
        frozen = p.grad_req == "null" and not getattr(p, "_vaegan_released", False)
        counts["non_trainable" if frozen else "trainable"] += n
    counts["total"] = counts["trainable"] + counts["non_trainable"]
    return counts


def initialize_model(block, image_shape=None, init=None, ctx=None, batch_size=2):
    """Initialize ``block`` (default ``mx.init.Xavier()``, ``mx.cpu()``) and run one forward on
    zeros of shape ``(batch_size,) + image_shape`` so that deferred shapes are resolved.
    ``image_shape`` defaults to the block's own ``image_shape`` (VAEs). Returns ``block``."""
    ctx = ctx or mx.cpu()
    image_shape = tuple(image_shape or getattr(block, "image_shape", ()))
    if len(image_shape) != 3:
        raise ValueError(f"initialize_model needs image_shape=(C, H, W) for {type(block).__name__}")
    block.initialize(init or mx.init.Xavier(), ctx=ctx)
    block(mx.nd.zeros((batch_size,) + image_shape, ctx=ctx))
    return block
