"""Running a trained VAE outside training: batched, seeded encode / decode / reconstruct / sample /
interpolate / attribute vectors and latent arithmetic -- the one place that does it.

Images are ``(N, C, H, W)`` float32 numpy arrays in [0, 1]; latents numpy arrays ``(N, ...)``. Work is
batched; batches go round-robin over the given contexts (``ctx``: a Context, a list, or a spec string
like ``"cpu:0,1"``; default ``mx.cpu()``). Randomness (prior samples) comes from
``numpy.random.RandomState(seed)``, so mx's global RNG is untouched. ``viz`` draws what these return;
``metrics`` and ``evaluation`` score it.
"""
import numpy as np
import mxnet as mx
from mxnet import nd

__all__ = ["contexts", "as_numpy_images", "batches", "encode_means", "decode_images", "reconstruct",
           "sample_prior", "interpolate", "select", "attribute_vector", "apply_attribute",
           "attribute_arithmetic"]


def contexts(ctx):
    """``None`` -> ``[mx.cpu()]``; a Context, a string like ``"cpu:0,1"`` or a list -> list of Contexts."""
    if ctx is None:
        return [mx.cpu()]
    from .utils import parse_ctx
    return parse_ctx(ctx)


def as_numpy_images(images, name="images"):
    if isinstance(images, nd.NDArray):
        images = images.asnumpy()
    images = np.asarray(images)
    if images.ndim != 4:
        raise ValueError(f"{name} must be (N, C, H, W); got shape {images.shape}. "
                         "Add the batch axis with images[None] for a single image.")
    if len(images) == 0:
        raise ValueError(f"{name} is empty (shape {images.shape}): pass at least one image")
    return images.astype(np.float32, copy=False)


def batches(images, batch_size, ctxs):
    """Yield ``(NDArray batch, its context)``; batches go round-robin over the contexts."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    for i, start in enumerate(range(0, len(images), batch_size)):
        c = ctxs[i % len(ctxs)]
        yield nd.array(images[start:start + batch_size], ctx=c, dtype="float32"), c


def encode_means(vae, images, batch_size=256, ctx=None):
    """Latent means ``mu`` of ``images``: numpy array ``(N, ...)`` (whatever shape ``encode`` gives)."""
    images = as_numpy_images(images)
    outs = [vae.encode(x)[0] for x, _ in batches(images, batch_size, contexts(ctx))]
    return np.concatenate([o.asnumpy() for o in outs])


def decode_images(vae, z, batch_size=256, ctx=None):
    """``sigmoid(decode(z))`` for a numpy latent array ``z`` -> ``(N, C, H, W)`` float32 in [0, 1]."""
    z = np.asarray(z, dtype=np.float32)
    ctxs = contexts(ctx)
    outs = []
    for i, start in enumerate(range(0, len(z), batch_size)):
        zb = nd.array(z[start:start + batch_size], ctx=ctxs[i % len(ctxs)], dtype="float32")
        outs.append(nd.sigmoid(vae.decode(zb)))
    return np.concatenate([o.asnumpy() for o in outs]).astype(np.float32)


def reconstruct(vae, images, batch_size=256, ctx=None):
    """Deterministic reconstructions ``sigmoid(decode(mu))``, ``(N, C, H, W)`` float32 in [0, 1]."""
    return decode_images(vae, encode_means(vae, images, batch_size, ctx), batch_size, ctx)


def latent_shape(vae, image, ctx=None):
    """Shape of one latent (``mu.shape[1:]``), found by encoding one image."""
    return tuple(encode_means(vae, as_numpy_images(image)[:1], ctx=ctx).shape[1:])


def sample_prior(vae, n, seed=0, image=None, batch_size=256, ctx=None):
    """``n`` prior samples ``sigmoid(decode(z))``, ``z ~ N(0, I)`` from ``RandomState(seed)``.

    The latent shape comes from ``vae.n_latent`` or, given ``image`` (one input image), from encoding it.
    """
    shape = latent_shape(vae, image, ctx) if image is not None else (int(vae.n_latent),)
    z = np.random.RandomState(seed).standard_normal((int(n),) + shape).astype(np.float32)
    return decode_images(vae, z, batch_size, ctx)


def _single(x, name):
    x = np.asarray(x.asnumpy() if isinstance(x, nd.NDArray) else x, dtype=np.float32)
    if x.ndim == 3:
        x = x[None]
    if x.ndim != 4 or len(x) != 1:
        raise ValueError(f"{name} must be one image (C, H, W) or (1, C, H, W); got shape {x.shape}")
    return x


def interpolate(vae, x_a, x_b, steps=8, ctx=None):
    """Decode ``z_t = (1 - t) mu_a + t mu_b`` for ``t`` in ``linspace(0, 1, steps)`` -> ``(steps, C, H, W)``
    (the ends are the reconstructions of ``x_a`` and ``x_b``)."""
    if steps < 2:
        raise ValueError(f"steps must be >= 2 (the two ends), got {steps}")
    mu = encode_means(vae, np.concatenate([_single(x_a, "x_a"), _single(x_b, "x_b")]), ctx=ctx)
    t = np.linspace(0.0, 1.0, steps, dtype=np.float32).reshape((-1,) + (1,) * (mu.ndim - 1))
    return decode_images(vae, (1 - t) * mu[0:1] + t * mu[1:2], ctx=ctx)


def select(attributes, spec):
    """Turn a group ``spec`` into a boolean mask over the rows of ``attributes``.

    ``spec`` is a dict ``{column: wanted}`` (a row matches when ``(attributes[column] > 0) == wanted``
    for every column, so CelebA's -1/1, 0/1 and bools all work), a boolean mask, or integer indices.
    """
    if isinstance(spec, dict):
        if attributes is None:
            raise ValueError(f"group {spec!r} names attributes but no attribute table was given")
        missing = [c for c in spec if c not in attributes]
        if missing:
            raise KeyError(f"attributes {missing} not in the table; available: {list(attributes.columns)}")
        mask = np.ones(len(attributes), bool)
        for col, wanted in spec.items():
            mask &= (attributes[col].to_numpy().astype(float) > 0) == bool(wanted)
        return mask
    spec = np.asarray(spec)
    if spec.dtype == bool:
        return spec
    n = len(attributes) if attributes is not None else int(spec.max()) + 1
    mask = np.zeros(n, bool)
    mask[spec.astype(int)] = True
    return mask


def attribute_vector(vae, images, mask, other=None, batch_size=256, ctx=None):
    """Mean latent ``mu`` of ``images[mask]`` minus the mean of ``images[other]`` (default ``~mask``).

    E.g. ``mask`` = smiling women, ``other`` = neutral women gives a "smile" direction.
    Returns a numpy array with the latent shape (``mu.shape[1:]``).
    """
    mask = np.asarray(mask, bool)
    other = ~mask if other is None else np.asarray(other, bool)
    for name, m in (("mask", mask), ("other", other)):
        if len(m) != len(images):
            raise ValueError(f"{name} has {len(m)} entries but there are {len(images)} images")
        if not m.any():
            raise ValueError(f"the {name} group is empty: no image selected, so it has no mean latent")
    mu_plus = encode_means(vae, images[mask], batch_size, ctx)
    mu_minus = encode_means(vae, images[other], batch_size, ctx)
    return mu_plus.mean(axis=0) - mu_minus.mean(axis=0)


def apply_attribute(vae, base_images, vector, scales=(0, 0.5, 1, 1.5), ctx=None):
    """Decode ``mu(base) + s * vector`` for each scale -> ``(len(scales), N, C, H, W)`` (scale 0 is the
    plain reconstruction)."""
    base_images = np.asarray(base_images, dtype=np.float32)
    mu = encode_means(vae, base_images, ctx=ctx)
    vector = np.asarray(vector, dtype=np.float32)
    if vector.shape != mu.shape[1:]:
        raise ValueError(f"vector has shape {vector.shape} but latents have shape {mu.shape[1:]}")
    z = np.concatenate([mu + s * vector for s in scales])
    return decode_images(vae, z, ctx=ctx).reshape((len(scales),) + base_images.shape)


def attribute_arithmetic(vae, images, attributes_df, plus, minus, base, scales=(0, 0.5, 1, 1.5), n_base=8,
                         ctx=None):
    """``mu(base) + s * (mean mu(plus) - mean mu(minus))`` decoded, the AE-GAN study's "smiling women -
    neutral women + neutral man" (groups as in :func:`select`).

    Returns ``(images (len(scales), n_base, C, H, W), base_images, vector)``.
    """
    images = np.asarray(images, dtype=np.float32)
    table = attributes_df
    if table is not None and len(table) != len(images):
        raise ValueError(f"attribute table has {len(table)} rows but there are {len(images)} images")
    masks = []
    for name, spec in (("plus", plus), ("minus", minus), ("base", base)):
        m = select(table, spec)
        if len(m) < len(images):
            m = np.concatenate([m, np.zeros(len(images) - len(m), bool)])
        if not m.any():
            raise ValueError(f"group {name}={spec!r} selects no image")
        masks.append(m)
    vector = attribute_vector(vae, images, masks[0], masks[1], ctx=ctx)
    base_images = images[masks[2]][:n_base]
    return apply_attribute(vae, base_images, vector, scales, ctx=ctx), base_images, vector
