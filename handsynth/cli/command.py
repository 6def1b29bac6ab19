"""The `handsynth` command line: parse, validate, call the library. Nothing else lives here."""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from typing import NoReturn

from handsynth import __version__
from handsynth.cli import generate as cli_generate
from handsynth.cli import serve as cli_serve
from handsynth.cli import train as cli_train
from handsynth.errors import FieldError, UserError

EXAMPLES = """\
examples:
  handsynth write "Dear Ada, thank you" -o letter.svg
  handsynth sample --steps 700 --seed 0 -o scribble.png
  handsynth text sample --prime "the market" --length 200
  handsynth prepare --iam-root /tmp/iam --out data/prepared
  handsynth train synthesis --data data/prepared --out runs/synthesis
  handsynth train text --data ptb.zip --level char --out runs/ptb-char
  handsynth eval runs/synthesis/best.pt --data data/prepared
  handsynth eval runs/ptb-char/best.pt --data ptb.zip --split test --dynamic
  handsynth train recogniser --data data/prepared --out runs/recogniser --optimizer adam
  handsynth eval legibility --data data/prepared   # the shipped recogniser, or --recogniser R.pt
  handsynth serve
"""


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Keeps the examples' line breaks and adds every flag's default to its help."""

    def _get_help_string(self, action: argparse.Action) -> str:
        shown = action.default not in (None, False, argparse.SUPPRESS) and action.option_strings
        return f"{action.help} (default: %(default)s)" if shown else action.help


class Parser(argparse.ArgumentParser):
    """argparse with one-line errors that point at --help."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="handsynth",
        description="Handwriting synthesis with the recurrent networks of Graves (2013).",
        epilog=EXAMPLES,
    )
    parser.add_argument("--version", action="version", version=f"handsynth {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    cli_train.add_prepare(sub)
    cli_train.add_train(sub)
    cli_train.add_eval(sub)
    cli_generate.add_write(sub)
    cli_generate.add_sample(sub)
    cli_generate.add_text(sub)
    cli_generate.add_export(sub)
    cli_generate.add_heatmap(sub)
    cli_serve.add_serve(sub)
    return parser


COMMANDS = {
    "prepare": cli_train.run_prepare,
    "train": cli_train.run_train,
    "eval": cli_train.run_eval,
    "write": cli_generate.run_write,
    "text": cli_generate.run_text,
    "sample": cli_generate.run_sample,
    "export": cli_generate.run_export,
    "heatmap": cli_generate.run_heatmap,
    "serve": cli_serve.run_serve,
}


# Arguments of the library whose flag is not their name with dashes (`style_text`: --style-text).
FLAG_OF_ARGUMENT = {"learning_rate": "--lr", "splits_dir": "--splits DIR"}


def error_message(error: UserError) -> str:
    """What the command line prints for `error`: an argument of the library is named by its
    flag."""
    if isinstance(error, FieldError):
        field = error.field
        return error.naming(FLAG_OF_ARGUMENT.get(field, "--" + field.replace("_", "-")))
    return str(error)


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    print(f"warning: {message}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as done:  # --help, --version, or a flag refused with its one-line error
        return done.code if isinstance(done.code, int) else 2
    warnings.showwarning = _show_warning
    try:
        COMMANDS[args.command](args)
    except UserError as error:
        print(f"handsynth {args.command}: error: {error_message(error)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # files are written whole or not at all (atomic.py)
        print(f"handsynth {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader (`| head`) has had enough: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    return 0
