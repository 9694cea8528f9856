"""Sweeps over one hyperparameter of a catalogue experiment (notebooks 08-10, 20), as data.

``values`` per scale (same list if not a dict); ``scales``: dotted overrides of every run at a scale;
``extra_runs``: additional labelled runs (dotted overrides); ``column``: the training statistic
overlaid across runs; ``reference``: the study's numbers, by position in ``values``.
"""
SWEEPS = {
    "sweep-disc-weight": {
        "description": "ConvVAE(512, 32) + ResNet: disc_weight in {1, 10, 20, 50} (pbp_weight 1)",
        "base": "anime-conv-vae-resnet", "param": "train.disc_weight", "values": [1, 10, 20, 50],
        "extra_runs": [], "column": "pbp_loss", "notebook": "08_sweep_disc_weight.ipynb"},
    "sweep-pbp-weight": {
        "description": "ConvVAE(512, 32) + ResNet: pbp_weight in {1.2, 1, 0.8, 0.5}, plus pbp_weight 1 "
                       "decayed x0.95 and x0.9 every 25 epochs (disc_weight 10)",
        "base": "anime-conv-vae-resnet", "param": "train.pbp_weight", "values": [1.2, 1, 0.8, 0.5],
        "extra_runs": [{"label": "pbp_weight=1 decay 0.95", "set": {"train.pbp_weight": 1, "train.pbp_decay": 0.95}},
                       {"label": "pbp_weight=1 decay 0.9", "set": {"train.pbp_weight": 1, "train.pbp_decay": 0.9}}],
        "column": "pbp_loss", "notebook": "09_sweep_pbp_weight.ipynb"},
    "sweep-solo-combo": {
        "description": "ConvVAE(512, 32) + ResNet: n_solo_epochs in {0, 50, 100, 150} of 200, wall time per run",
        "base": "anime-conv-vae-resnet", "param": "train.n_solo_epochs",
        "values": {"full": [0, 50, 100, 150], "medium": [0, 2, 4, 6], "quick": [0, 1, 2, 3]},
        # medium: 8 epochs (the cost claim times the runs; 25 epochs of ResNet combo would take > 15 min)
        "scales": {"quick": {"train.n_epochs": 4}, "medium": {"train.n_epochs": 8}},
        "extra_runs": [], "column": "pbp_loss", "notebook": "10_sweep_solo_combo.ipynb",
        # the study's wall times on a GPU
        "reference": {"column": "train_seconds", "label": "study seconds (GPU)",
                      "values": [6782.88, 5515.20, 4325.86, 3120.53]}},
    "sweep-larsen-lr-schedule": {
        "description": "Larsen VAE/GAN on faces with the TF2 project's four learning-rate schedules "
                       "(5e-4 constant; plateau 0.85/1e-4/10; 0.75/5e-6/6; 0.6/5e-6/6 keeping its buffer)",
        "base": "faces-larsen-vaegan", "param": "train.lr_schedule",
        "values": ["constant", "plateau-0.85", "plateau-0.75", "plateau-0.6-keep"],
        "scales": {"full": {"train.lr": 5e-4}, "medium": {"train.lr": 5e-4}, "quick": {"train.lr": 5e-4}},
        "extra_runs": [], "column": "lr", "notebook": "20_larsen_vaegan.ipynb"},
}
