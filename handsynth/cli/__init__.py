"""The `handsynth` command line: `command.py` parses and dispatches; `generate.py` holds write,
sample, text, export and heatmap, `serve.py` the web page, `args.py` the flag types."""

from handsynth.cli.command import build_parser, main

__all__ = ["build_parser", "main"]
