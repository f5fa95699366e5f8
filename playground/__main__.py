"""``python -m playground ...``: the command line over the Qt-free core."""

import sys

from playground.cli import main

sys.exit(main())
