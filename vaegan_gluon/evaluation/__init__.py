"""Judging generations with numbers, in feature spaces the project trains and ships.

- :mod:`.extractors`: ``get_extractor(name)`` for ``mnist``, ``fashion-mnist``, ``faces`` (weights and
  ``manifest.json`` in ``weights/``; ``features(images) -> (N, 128)``, ``predict(images)``);
  :mod:`.inception`: gluoncv's Inception-v3 when its weights are local.
- :mod:`.metrics`: a model's own numbers on held-out images (reconstruction BCE / MSE, KL, ELBO and the
  importance-weighted bound, blur factor, discriminator accuracy; units there): ``metrics.json``'s core.
- :mod:`.scores`: pure numpy / scipy FID (and its bootstrap interval), unbiased KID, precision / recall
  (k-NN, k = 3), mode coverage; the paired view: per-image feature distance, PSNR.
- :mod:`.scoring`: a run's scores (``score_run``, ``add_scores``) and collapse warnings;
- :mod:`.folder`: ``evaluate(run_dir, vae, val, config, ...)`` writes a trained run's ``metrics.json``
  (re-scoring a finished folder, ``vaegan evaluate``, is :mod:`vaegan_gluon.experiments.rescore`).
- :mod:`.train`: ``vaegan extractors train NAME``.

All scores are for monitoring purposes: comparable only between runs scored with the same extractor.
"""
from .extractors import NAMES, SPECS, Extractor, get_extractor
from .scores import FewSamplesWarning, fid, kid, mode_coverage, precision_recall
from .folder import evaluate
from .scoring import add_scores, choose_extractor, collapse_warnings, score_images, score_run

__all__ = ["get_extractor", "Extractor", "NAMES", "SPECS", "fid", "kid", "precision_recall", "mode_coverage",
           "FewSamplesWarning", "score_run", "score_images", "add_scores", "evaluate", "choose_extractor",
           "collapse_warnings"]
