"""Training configuration: typed dataclasses, the same names in the API, config.json, CSV and notebooks.

:class:`TrainConfig` is a plain dataclass whose fields are typed by annotation; every settings dataclass checks
its types and ranges (``__post_init__`` / ``validate()``), raising one-line ``ValueError`` naming the key, the
value and what is valid; an unknown key (``from_dict``) names the valid keys.

``extra`` holds the settings of the run's scheme: ``train.scheme`` chooses the dataclass (the scheme class's
``settings``, declared beside it), so a key of another scheme is an error naming the valid ones. Its
annotation, :class:`ExtraSettings`, is the union of the package's schemes' keys: the dotted ``train.extra.*``
keys the experiments' schema walks.
"""
import dataclasses
from dataclasses import dataclass, field, fields
from typing import Optional

from ..losses import PBP_LOSSES
from .schemes import AEGANSettings, LarsenSettings, LearnableLossSettings, get_scheme
from .settings import Settings

INITIALIZERS = ("xavier", "normal", "uniform", "msraprelu")
OPTIMIZERS = ("adam", "stockadam")


@dataclass
class ExtraSettings(LearnableLossSettings, AEGANSettings, LarsenSettings):
    """Every ``train.extra`` key of the package's schemes (the schema's key space; a run holds its scheme's own)."""


@dataclass
class TrainConfig:
    """Hyperparameters of one training run (models and data are configured elsewhere).

    The defaults are the original study's: Adam, lr 1e-3, Xavier, batch 64, BCE, weights 1.
    """
    scheme: str = "learnable_loss"     # which step function (see vaegan_gluon.train.schemes)
    n_epochs: int = 50                 # total epochs, solo + combo
    n_solo_epochs: int = 0             # the first epochs train the VAE alone
    batch_size: int = 64
    lr: float = 1e-3                   # Adam learning rate of the VAE
    disc_lr: Optional[float] = None    # discriminator learning rate (None: same as lr)
    beta1: float = 0.9
    beta2: float = 0.999
    # "adam" (with fast: the vectorised kernel, fast/adam.py) or "stockadam" (MXNet's)
    optimizer: str = "adam"
    initializer: str = "xavier"
    pbp_loss: str = "bce"              # "bce" or "l2", from logits
    pbp_weight: float = 1.0
    pbp_decay: float = 1.0             # multiply pbp_weight by this ...
    pbp_decay_every: int = 25          # ... every this many combo epochs
    disc_weight: float = 1.0           # weight of the adversarial term in the VAE loss
    # "fixed": disc_weight as is; "adaptive": x the gradient ratio at the decoder's last layer (train/adaptive.py)
    disc_weight_mode: str = "fixed"
    disc_train_during_solo: bool = False   # True: the discriminator trains in solo epochs too (the VAE ignores it)
    # grad_ratio measured every this many adversarial steps (and the first; 0: first only): < 5 % overhead
    # (train/adaptive.py)
    grad_ratio_every: int = 50
    # gate: skip the adversarial term after an epoch whose mean disc loss exceeds this
    max_disc_loss: Optional[float] = None
    real_label: float = 1.0            # D's target for real images (0.9 = one-sided label smoothing) ...
    fake_label: float = 0.0            # ... and for fakes (train/schemes/stabilisers.py: every scheme's D loss)
    seed: int = 0
    hybridize: bool = True
    # the performance wing (vaegan_gluon/fast): cached step graphs, batched sums, Adam kernel
    fast: bool = True
    # with fast, on the CPU: the fast steps' sigmoid-BCE as one operator (fast/kernels.py)
    fused_bce: bool = True
    # hybridized graphs keep their own memory plan; False: MXNet's shared pool (README: no lower peak on (f))
    static_alloc: bool = True
    log_interval: int = 50             # batches between host reads (progress bar, NaN check)
    max_nan_events: int = 3            # this many non-finite epochs in a row stop the run
    keep_checkpoints: int = 1          # complete checkpoints kept on disk (latest ones)
    # None = constant lr; a dict {"kind": "step"|"plateau"|...} or a name (vaegan_gluon.schedules.make_lr_schedule)
    lr_schedule: Optional[object] = None
    extra: ExtraSettings = field(default_factory=dict)  # the scheme's settings (its dataclass; a dict is accepted)

    def __post_init__(self):
        cls = get_scheme(self.scheme).settings
        if isinstance(self.extra, Settings) and not isinstance(self.extra, cls):
            self.extra = dataclasses.asdict(self.extra)
        if isinstance(self.extra, dict) or self.extra is None:
            try:
                self.extra = cls.from_dict(self.extra)
            except (TypeError, ValueError) as err:
                raise ValueError(f"train.extra: {err} for scheme {self.scheme!r}{_owners(self.extra, cls)}") from None
        elif not isinstance(self.extra, cls):
            raise ValueError(f"train.extra must be a dict of settings, got {self.extra!r}")
        if self.n_epochs < 1:
            raise ValueError(f"n_epochs must be >= 1, got {self.n_epochs}")
        if not 0 <= self.n_solo_epochs <= self.n_epochs:
            raise ValueError(f"n_solo_epochs must be in [0, n_epochs={self.n_epochs}], got {self.n_solo_epochs}")
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {self.batch_size}")
        for name, choices in (("pbp_loss", PBP_LOSSES), ("optimizer", OPTIMIZERS), ("initializer", INITIALIZERS)):
            if getattr(self, name) not in choices:
                raise ValueError(f"{name} {getattr(self, name)!r} unknown: use one of {list(choices)}")
        for name in ("lr", "beta1", "beta2"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)}")
        for name in ("real_label", "fake_label"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"{name} must be in [0, 1], got {getattr(self, name)!r}")
        if self.disc_weight < 0:
            raise ValueError(f"disc_weight must be >= 0, got {self.disc_weight}")
        self._check_adaptive()
        if self.lr_schedule is not None:
            from ..schedules import make_lr_schedule
            make_lr_schedule(self.lr_schedule, self.lr, self.n_epochs)   # raises ValueError on a bad spec

    def _check_adaptive(self):
        """disc_weight_mode / disc_train_during_solo / grad_ratio_every (issue 33; train/adaptive.py)."""
        from .adaptive import ADAPTIVE_SCHEMES, DISC_WEIGHT_MODES
        if self.disc_weight_mode not in DISC_WEIGHT_MODES:
            raise ValueError(f"disc_weight_mode {self.disc_weight_mode!r} unknown: "
                             f"use one of {list(DISC_WEIGHT_MODES)}")
        if not isinstance(self.disc_train_during_solo, bool):
            raise ValueError(f"disc_train_during_solo must be true or false, got {self.disc_train_during_solo!r}")
        if isinstance(self.grad_ratio_every, bool) or not isinstance(self.grad_ratio_every, int) \
                or self.grad_ratio_every < 0:
            raise ValueError(f"grad_ratio_every must be an int >= 0, got {self.grad_ratio_every!r}")
        if (self.disc_weight_mode == "adaptive" or self.disc_train_during_solo) and self.scheme == "larsen":
            raise ValueError(f"scheme 'larsen' has no disc_weight_mode 'adaptive' or disc_train_during_solo: "
                             f"they apply to {list(ADAPTIVE_SCHEMES)} (see vaegan_gluon.train.adaptive)")
        if self.disc_weight_mode == "adaptive":
            if self.scheme == "aegan" and self.extra.beta_policy != "constant":
                raise ValueError(f"disc_weight_mode 'adaptive' replaces aegan's beta: use beta_policy 'constant', "
                                 f"not {self.extra.beta_policy!r}")
            if getattr(self.extra, "attribute_vae_weight", 0) > 0:
                raise ValueError("disc_weight_mode 'adaptive' with attribute_vae_weight > 0 is not supported")

    def to_dict(self):
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d):
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ValueError(f"unknown training settings {unknown}; valid: {sorted(known)}")
        return cls(**d)

    @classmethod
    def from_saved(cls, d):
        """:meth:`from_dict` of a config.json's ``train`` section, older ones included: they listed every scheme's
        ``extra`` keys (those of other schemes at their defaults: dropped here) and ``fake_label`` in ``extra``."""
        d = dict(d)
        extra = dict(d.get("extra") or {})
        if "fake_label" in extra and "fake_label" not in d:
            d["fake_label"] = extra.pop("fake_label")
        mine = {f.name for f in fields(get_scheme(d.get("scheme", cls.scheme)).settings)}
        union = {f.name: f.default for f in fields(ExtraSettings)}
        d["extra"] = {k: v for k, v in extra.items() if k in mine or k not in union or v != union[k]}
        return cls.from_dict(d)

    @classmethod
    def keys(cls):
        return [f.name for f in fields(cls)]


def _owners(extra, cls):
    """``" (gamma: a key of larsen)"`` for the keys of ``extra`` that another registered scheme takes."""
    from .schemes import SCHEMES
    mine = {f.name for f in fields(cls)}
    owners = {k: sorted(n for n, sc in SCHEMES.items() if k in {f.name for f in fields(sc.settings)})
              for k in set(extra or {}) - mine}
    found = [f"{k}: a key of {', '.join(owners[k])}"
             for k in sorted(set(extra or {}) - mine)
             if any(k in {f.name for f in fields(sc.settings)} for sc in SCHEMES.values())]
    return f" ({'; '.join(found)})" if found else ""


def make_initializer(name):
    import mxnet as mx
    return {"xavier": mx.init.Xavier(), "normal": mx.init.Normal(0.02), "uniform": mx.init.Uniform(0.07),
            "msraprelu": mx.init.MSRAPrelu()}[name]
