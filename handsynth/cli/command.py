"""The `handsynth` command line: parse, validate, call the library. Nothing else lives here."""

from __future__ import annotations

import argparse
import errno
import os
import sys
import warnings
from typing import NoReturn

from handsynth import __version__, guard
from handsynth.cli import generate as cli_generate
from handsynth.cli import serve as cli_serve
from handsynth.cli import styles as cli_styles
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
  handsynth styles list                       # or preview, add, rename, delete: styles --help
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
    cli_styles.add_styles(sub)
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
    "styles": cli_styles.run_styles,
}


# OSErrors that come from the machine rather than from handsynth: one line, not a traceback.
DISK_ERRNOS = {
    errno.ENOSPC,
    errno.EDQUOT,
    errno.EIO,
    errno.EROFS,
    errno.EFBIG,
    errno.EACCES,
    errno.EPERM,
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
    try:  # Ctrl-C and SIGTERM raise guard.Interrupted anywhere in the work; once the command
        # line's own process has done its work, a late one changes nothing
        with guard.guarded(process_ends=argv is None):
            return _run(args)
    except KeyboardInterrupt as interrupt:  # arrived as the command ended
        return _interrupted(args, interrupt)


def _interrupted(args: argparse.Namespace, interrupt: KeyboardInterrupt) -> int:
    print(f"handsynth {args.command}: interrupted; nothing more was written", file=sys.stderr)
    return interrupt.exit_status if isinstance(interrupt, guard.Interrupted) else 130


def _run(args: argparse.Namespace) -> int:
    """Run the command; every way it can end is one line on standard error and an exit status."""
    name = f"handsynth {args.command}"
    try:
        COMMANDS[args.command](args)
    except UserError as error:
        print(f"{name}: error: {error_message(error)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as interrupt:  # files are written whole or not at all (atomic.py)
        return _interrupted(args, interrupt)
    except BrokenPipeError:  # the reader (`| head`) has had enough: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except MemoryError:
        print(f"{name}: error: out of memory; ask for less at a time", file=sys.stderr)
        return 2
    except OSError as error:
        if error.errno not in DISK_ERRNOS and error.filename is None:
            raise  # not the disk's doing: a bug, with its traceback
        where = f"{error.filename}: " if error.filename is not None else ""
        print(f"{name}: error: {where}{error.strerror or error}", file=sys.stderr)
        return 2
    return 0
