"""eval.extractor is a checked setting: valid names pass, anything else is a one-line error."""
import pytest

from vaegan_gluon.experiments import get_config


def test_eval_extractor_setting():
    cfg = get_config("mnist-vae-bce", "quick", {"eval.extractor": "fashion-mnist"})
    assert cfg["eval"]["extractor"] == "fashion-mnist"
    assert get_config("mnist-vae-bce", "quick", {"extractor": "none"})["eval"]["extractor"] == "none"
    with pytest.raises(ValueError, match="eval.extractor must be one of mnist, fashion-mnist, faces"):
        get_config("mnist-vae-bce", "quick", {"eval.extractor": "banana"})
    with pytest.raises(ValueError, match="valid: eval.n_samples, eval.extractor"):
        get_config("mnist-vae-bce", "quick", {"eval.extractr": "mnist"})
