"""Training: the Trainer (epochs, phases, schedules, I/O) and the schemes (one step function each)."""
from .callbacks import Callback, EvolutionFrames, ProgressBar
from .config import TrainConfig
from .schemes import AEGAN, SCHEMES, LarsenVAEGAN, LearnableLoss, Scheme, get_scheme, register_scheme
from .trainer import Trainer, TrainingDiverged, TrainingStopped, epoch_seed

__all__ = ["Trainer", "TrainConfig", "TrainingDiverged", "TrainingStopped", "Callback", "EvolutionFrames",
           "ProgressBar", "Scheme",
           "LearnableLoss", "LarsenVAEGAN", "AEGAN", "SCHEMES", "get_scheme", "register_scheme", "epoch_seed"]
