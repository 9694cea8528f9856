"""The base of every schedule (:mod:`vaegan_gluon.schedules`, :mod:`.schedules_beta`,
:mod:`.schedules_gluoncv`): ``state_dict()`` / ``load_state_dict(d)``, so checkpoints resume it exactly."""


class Schedule:
    """Base: a value that depends on epoch counters and, optionally, on the history of epoch rows."""

    def state_dict(self):
        return {k: v for k, v in vars(self).items() if not k.startswith("_")}

    def load_state_dict(self, state):
        for k, v in state.items():
            setattr(self, k, v)
