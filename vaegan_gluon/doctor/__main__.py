"""``python -m vaegan_gluon.doctor`` is ``vaegan doctor`` (:mod:`.cli`)."""
import sys

from .cli import main

sys.exit(main())
