"""The training schemes: the protocol (:mod:`.base`) and one module per scheme, each with its settings."""
from .base import HYBRIDIZE, SCHEMES, Scheme, batch_size, get_scheme, hybridize_kwargs, register_scheme
from .learnable_loss import LearnableLoss, LearnableLossSettings
from .larsen import LarsenSettings, LarsenVAEGAN
from .aegan import AEGAN, AEGANSettings

__all__ = ["HYBRIDIZE", "SCHEMES", "Scheme", "batch_size", "get_scheme", "hybridize_kwargs", "register_scheme",
           "LearnableLoss", "LearnableLossSettings", "LarsenVAEGAN", "LarsenSettings", "AEGAN", "AEGANSettings"]
