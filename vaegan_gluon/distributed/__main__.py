"""``python -m vaegan_gluon.distributed -n 2 -- cmd`` is ``vaegan launch`` (:mod:`.cli`)."""
import sys

from .cli import launch_main

sys.exit(launch_main())
