"""``python -m bot`` is the same as the ``travelbot`` command."""

import sys

from bot.cli import main

sys.exit(main())
