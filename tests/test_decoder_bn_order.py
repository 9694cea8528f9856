"""The generator's BatchNorm order (the TF2 project's claim is about the generator, not the discriminator)."""
import numpy as np

from vaegan_gluon.experiments.config import get_config
from vaegan_gluon.models import count_parameters, get_model

import mxnet as mx  # noqa: E402  (after vaegan_gluon, which sets the thread count)


def _layers(model):
    return [type(b).__name__ for b in model.decoder.body]


def test_decoder_bn_after_activation_flips_the_order_and_keeps_the_parameters():
    before = get_model("ConvVAE", n_latent=4, base_channels=4, image_shape=(1, 28, 28))
    after = get_model("ConvVAE", n_latent=4, base_channels=4, image_shape=(1, 28, 28),
                      decoder_bn_before_activation=False)
    assert _layers(before)[:3] == ["Conv2DTranspose", "BatchNorm", "Activation"]
    assert _layers(after)[:3] == ["Conv2DTranspose", "Activation", "BatchNorm"]
    for m in (before, after):
        m.initialize(mx.init.Xavier(), ctx=mx.cpu())
        m.decode(mx.nd.zeros((2, 4)))
    assert count_parameters(before)["total"] == count_parameters(after)["total"]
    # the same weights give other images: the order is what changed
    after.collect_params().load_dict({k.replace(before.prefix, after.prefix): v.data()
                                      for k, v in before.collect_params().items()}, ctx=mx.cpu())
    z = mx.nd.array(np.random.RandomState(0).randn(2, 4))
    with mx.autograd.train_mode():
        assert not np.allclose(before.decode(z).asnumpy(), after.decode(z).asnumpy())


def test_the_generator_variant_is_an_experiment_of_the_catalogue():
    cfg = get_config("mnist-gen-bn-after-act", "medium")
    assert cfg["vae"]["decoder_bn_before_activation"] is False
    assert cfg["disc"] == get_config("mnist-larsen-vaegan", "medium")["disc"]
