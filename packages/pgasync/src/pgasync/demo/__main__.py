"""``python -m pgasync.demo``: run the demo."""

from __future__ import annotations

import sys

from pgasync.demo import main

sys.exit(main())
