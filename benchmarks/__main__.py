"""``python -m benchmarks``: see :mod:`benchmarks`."""
import sys

from . import main

if __name__ == "__main__":
    out = main()
    sys.exit(out if isinstance(out, int) else 0)
