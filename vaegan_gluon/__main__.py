"""``python -m vaegan_gluon ...`` is the ``vaegan`` command (see :mod:`vaegan_gluon.cli`)."""
import sys

from .cli import main

sys.exit(main())
