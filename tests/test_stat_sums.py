"""StatSums adds a scheme's per-step statistics lazily and gets the sums the step-by-step ``+`` got (to
float32 rounding: add_n is oneDNN's sum)."""
import numpy as np
import pytest

import vaegan_gluon  # noqa: F401  (sets OMP_NUM_THREADS before mxnet)
from mxnet import nd

from vaegan_gluon.fast.stat_sums import StatSums


@pytest.mark.parametrize("fold_every", [1, 3, 32])
def test_sums_equal_the_step_by_step_sums(fold_every):
    rs = np.random.RandomState(0)
    steps = [{"a": nd.array(rs.randn(1).astype(np.float32) * 1e3), "b": nd.array(rs.rand(3).astype(np.float32))[1:2]}
             for _ in range(70)]
    lazy, eager = StatSums(fold_every), {}
    for i, stats in enumerate(steps):
        lazy.add(stats)
        for k, v in stats.items():
            eager[k] = v if k not in eager else eager[k] + v
        if i in (0, 5, 40):   # a read in the middle (the Trainer's log_interval) changes nothing
            _close(lazy.read(), eager)
    _close(lazy.read(), eager)
    assert set(lazy.fold()) == {"a", "b"} and lazy.fold()["a"].shape == (1,)


def test_a_key_first_seen_later_and_the_empty_state():
    sums = StatSums(4)
    assert not sums and sums.read() == {}
    sums.add({"a": nd.ones((1,))})
    sums.add({"a": nd.ones((1,)), "c": nd.full((1,), 5.0)})
    assert sums and sums.read() == {"a": 2.0, "c": 5.0}
    with pytest.raises(ValueError, match="fold_every"):
        StatSums(0)


def _close(got, eager):
    want = {k: float(v.asscalar()) for k, v in eager.items()}
    assert set(got) == set(want)
    for k in want:
        assert got[k] == pytest.approx(want[k], rel=1e-6), k
