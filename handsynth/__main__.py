"""Entry point for `python -m handsynth`."""

from handsynth.cli import main

raise SystemExit(main())
