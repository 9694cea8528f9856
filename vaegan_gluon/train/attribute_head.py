"""The auxiliary attribute head's targets (settings: :class:`~vaegan_gluon.train.schemes.LearnableLossSettings`)."""


def attribute_targets_of(config, scheme, disc, train, n):
    """``(targets (n, K) float32 numpy, column names)`` when ``extra.attribute_weight > 0``, else ``(None, None)``.

    From ``train.attributes`` (:func:`~vaegan_gluon.data.attributes_targets.attribute_targets`, columns
    ``extra.attribute_columns`` or all binary/categorical ones); the discriminator must have been built
    with ``n_attributes=K`` (only ``learnable_loss``'s settings have the key).
    """
    extra = config.extra
    if not getattr(extra, "attribute_weight", 0) > 0:
        return None, None
    from ..data.attributes_targets import attribute_targets
    targets, names = attribute_targets(train, extra.attribute_columns)
    k = getattr(disc, "n_attributes", 0) if disc is not None else 0
    if k != targets.shape[1]:
        raise ValueError(f"the attribute targets have {targets.shape[1]} columns ({', '.join(names[:6])}"
                         f"{', ...' if len(names) > 6 else ''}) but the discriminator has n_attributes={k}: "
                         f"build it with n_attributes={targets.shape[1]}")
    if targets.shape[0] != n:
        raise ValueError(f"{targets.shape[0]} attribute rows for {n} images")
    return targets, names
