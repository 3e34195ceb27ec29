"""``python -m callroute``: the same as the ``callroute`` command."""

import sys

from .cli import main

sys.exit(main())
