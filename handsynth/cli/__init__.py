"""The `handsynth` command line: `command.py` parses and dispatches; `generate.py` holds write,
sample, text, export and heatmap, `serve.py` the web page, `styles.py` the styles, `args.py` the
flag types."""

import sys

try:
    from handsynth.cli.command import build_parser, main
except KeyboardInterrupt:  # Ctrl-C while the command line starts: nothing was done yet
    print("handsynth: interrupted; nothing more was written", file=sys.stderr)
    raise SystemExit(130) from None

__all__ = ["build_parser", "main"]
