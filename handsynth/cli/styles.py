"""`handsynth styles`: list, preview, add, rename, delete and adapt to the styles `write --style`
takes.

Saved styles live in the folder `handsynth serve` saves them in (`serve.default_styles_dir`,
`--styles-dir`); `write/style_folder.py` reads and writes it, `write/style_check.py` checks that a
line reads as its text before it is added, and `write/style_sheet.py` lays out the preview.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

from handsynth.cli import args as cli_args
from handsynth.cli.serve import default_styles_dir
from handsynth.errors import FieldError, UserError
from handsynth.options import ADAPT_STEPS
from handsynth.write.handwriting import FORMATS
from handsynth.write.style_folder import StyleFolder
from handsynth.write.styles import shipped_styles

PREVIEW_TEXT = "Handwriting in this style"
PREVIEW_SEED = 1

DESCRIPTION = """\
A style is one line of handwriting and the text it says; `handsynth write --style` primes the
network with it so the text comes out in that hand (Graves 2013, section 5.5). Styles are either
shipped with handsynth (numbered) or saved by you, by name, in a styles folder: the one the web
page (`handsynth serve`) saves lines drawn with a mouse, pen or finger in.

A line is read by the shipped handwriting recogniser before it is added: one that does not read
as its text is refused, since priming with it would fail at write time."""

EXAMPLES = """\
examples:
  handsynth styles list                          # shipped and saved styles, with their texts
  handsynth styles preview -o styles.png         # each style's line, and a sentence in it
  handsynth styles preview 2 my-hand -o two.svg --text "Dear Ada"
  handsynth styles add my-hand line.inkml        # InkML from a tablet app (its text inside)
  handsynth styles add my-hand line.svg --text "what the line says"
  handsynth styles add pen a01-000u-01.xml --text "A MOVE to stop Mr. Gaitskell"
  handsynth styles rename my-hand neat
  handsynth styles delete neat
  handsynth styles adapt neat neat-2 neat-3      # tune the model to this writer's lines
  handsynth write "in my own hand" --style neat   # a saved style by name (or its file)"""


def add_styles(sub) -> None:
    p = sub.add_parser(
        "styles",
        help="list, preview, add, rename, delete and adapt to handwriting styles",
        description=DESCRIPTION,
        epilog=EXAMPLES,
    )
    folder = argparse.ArgumentParser(add_help=False)
    folder.add_argument(
        "--styles-dir",
        type=Path,
        default=str(default_styles_dir()),
        help="folder of saved styles, as handsynth serve --styles-dir",
    )
    model = argparse.ArgumentParser(add_help=False)
    model.add_argument(
        "--model",
        type=cli_args.input_file,
        help="a synthesis checkpoint (.pt) or exported .safetensors (none: the shipped model)",
    )
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    actions.add_parser(
        "list",
        parents=[folder],
        help="the shipped styles by number and the saved ones by name, with their texts",
        description="List the shipped styles (numbered: write --style 3) and the saved ones\n"
        "(by name, with the file write --style takes), each with what its line says.",
        epilog="example: handsynth styles list --styles-dir ~/my-styles",
    )
    preview = actions.add_parser(
        "preview",
        parents=[folder, model],
        help="draw a sheet: each style's own line, then a sentence written in it",
        description="Draw a sheet of styles: for each, its own line and then a short sentence\n"
        "written in it with a fixed seed, so that styles can be compared. The styles come in\n"
        "the order of styles list (or of STYLE...); one line is sampled per style.",
        epilog="examples:\n  handsynth styles preview -o styles.png\n"
        '  handsynth styles preview 1 my-hand -o mine.svg --text "Dear Ada"',
    )
    preview.add_argument(
        "styles",
        nargs="*",
        metavar="STYLE",
        help="shipped style numbers or saved style names (none: every style)",
    )
    preview.add_argument(
        "-o",
        "--output",
        type=cli_args.output_file(tuple(FORMATS)),
        default="styles.svg",
        help=f"the sheet, in the format its ending names: {', '.join(FORMATS)}",
    )
    preview.add_argument("--text", default=PREVIEW_TEXT, help="the sentence written in each style")
    preview.add_argument(
        "--seed",
        type=cli_args.integer(0, 2**32 - 1),
        default=PREVIEW_SEED,
        help="the drawing of the sentences; the same seed draws the same sheet",
    )
    add = actions.add_parser(
        "add",
        parents=[folder, model],
        help="import a line of handwriting (IAM-OnDB XML, InkML or SVG) as a saved style",
        description="Save a line of handwriting in the styles folder under NAME. FILE is\n"
        "  - an IAM-OnDB lineStrokes .xml (or a line saved from the web page),\n"
        "  - a one-line W3C InkML file (.inkml), as tablet and pen apps export it; its\n"
        '    annotation of type "transcription" or "truth" is its text, or\n'
        "  - an .svg whose paths are pen strokes (handsynth write --single-stroke).\n"
        "The line is read by the shipped recogniser and refused if it does not read as its\n"
        "text: type what the line says, exactly.",
        epilog="examples:\n  handsynth styles add my-hand line.inkml\n"
        '  handsynth styles add my-hand line.svg --text "what the line says"',
    )
    add.add_argument(
        "name", metavar="NAME", help="letters, digits, - and _, starting with a letter"
    )
    add.add_argument(
        "file", metavar="FILE", type=cli_args.input_file, help="the line: .xml, .inkml or .svg"
    )
    add.add_argument(
        "--text",
        help="what the line says (needed unless the file says it: an InkML transcription or a "
        "line saved from the web page)",
    )
    rename = actions.add_parser(
        "rename",
        parents=[folder],
        help="give a saved style another name",
        description="Rename saved style OLD to NEW; NEW must not be taken.",
        epilog="example: handsynth styles rename my-hand neat",
    )
    rename.add_argument("old", metavar="OLD", help="the style's name now")
    rename.add_argument("new", metavar="NEW", help="its new name: letters, digits, - and _")
    delete = actions.add_parser(
        "delete",
        parents=[folder],
        help="delete a saved style",
        description="Delete saved style NAME (its file in the styles folder).",
        epilog="example: handsynth styles delete my-hand",
    )
    delete.add_argument("name", metavar="NAME", help="the saved style to delete")
    adapt = actions.add_parser(
        "adapt",
        parents=[folder, model],
        help="fine-tune the model to a saved style's writer (seconds to a minute)",
        description="Tune the synthesis model's mixture head to the hand of saved style NAME,\n"
        "and of MORE saved lines by the same writer (the more lines, the better: 3 is good),\n"
        "and keep the result beside the style as NAME.adapted.safetensors (about 190 KB).\n"
        "From then on write --style NAME writes with the adapted model; delete\n"
        "that file to go back. The network's letters are not tuned, so letters the writer\n"
        "never wrote are still written (docs/writing.md has the measurements).",
        epilog="examples:\n  handsynth styles adapt my-hand my-hand-2 my-hand-3\n"
        "  handsynth write 'in my own hand' --style my-hand",
    )
    adapt.add_argument("name", metavar="NAME", help="the saved style to adapt to")
    adapt.add_argument(
        "more", nargs="*", metavar="MORE", help="other saved lines by the same writer"
    )
    adapt.add_argument(
        "--steps",
        type=cli_args.integer(1, 10_000),
        help=f"tuning steps (default: {ADAPT_STEPS}, a tenth of a second each)",
    )


def run_styles(args: argparse.Namespace) -> None:
    {
        "list": _list,
        "preview": _preview,
        "add": _add,
        "rename": _rename,
        "delete": _delete,
        "adapt": _adapt,
    }[args.action](args)


def _list(args: argparse.Namespace) -> None:
    folder = StyleFolder(args.styles_dir)
    shipped = shipped_styles()
    print(f"shipped styles ({len(shipped)}; handsynth write --style NUMBER):")
    for number, (_, text) in enumerate(shipped, start=1):
        print(f"  {number:>3}  {text}")
    saved = folder.list()
    print(f"saved styles in {folder.root} ({len(saved)}; handsynth write --style NAME):")
    if not saved:
        print("  none yet: handsynth styles add NAME FILE, or draw one on handsynth serve's page")
    width = max((len(style.name) for style in saved), default=0)
    for style in saved:
        print(f"  {style.name:<{width}}  {style.text}  ({folder.path(style.name).name})")


def _source(style: str, folder: StyleFolder) -> str:
    """A shipped number as it is, or a saved style's file."""
    if style.isascii() and style.isdigit():
        return style
    return str(folder.existing(style))


def _preview(args: argparse.Namespace) -> None:
    from handsynth.loaded import load_model
    from handsynth.write.style_sheet import style_sheet

    folder = StyleFolder(args.styles_dir)
    chosen = args.styles or [
        *(str(n) for n in range(1, len(shipped_styles()) + 1)),
        *(style.name for style in folder.list()),
    ]
    if not chosen:
        raise UserError("there are no styles to preview")
    sources = [(name, _source(name, folder)) for name in chosen]  # every name checked first
    model = load_model(args.model, kind="synthesis")
    if len([line for line in model.lines(args.text, 0) if line]) != 1:  # checks its characters
        raise UserError("--text: give one line to write in each style")
    lines, samples, drawn = [], [], []
    for name, source in sources:
        try:
            offsets, text = model.load_style(source)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # typography notices: the text is the same
                sample = model.write(args.text, style=source, seed=args.seed, wrap=0)
        except UserError as error:
            print(f"handsynth styles preview: skipped style {name}: {error}", file=sys.stderr)
            continue
        lines.append((model.normalisation.denormalise(offsets), text))
        samples.append(sample)
        drawn.append(name)
    if not drawn:
        raise UserError("no style could be drawn")
    style_sheet(lines, samples).save(args.output)
    print(
        f"{args.output}: {len(drawn)} styles, each its own line then the sample: {', '.join(drawn)}"
    )


def _add(args: argparse.Namespace) -> None:
    from handsynth.loaded import load_model

    folder = StyleFolder(args.styles_dir)
    folder.path(args.name)  # a bad name is refused before the model loads
    model = load_model(args.model, kind="synthesis")
    try:
        offsets, text = model.load_style(args.file, args.text)
    except FieldError as error:  # the library's style_text is this command's --text
        raise UserError(error.naming("--text")) from None
    reader = load_model(kind="recogniser").as_line_reader()
    raw = model.normalisation.denormalise(offsets)
    path = folder.save_offsets(args.name, raw, text, reader)
    print(f"saved style {args.name!r} ({text!r}, {len(raw)} points) as {path}")


def _rename(args: argparse.Namespace) -> None:
    path = StyleFolder(args.styles_dir).rename(args.old, args.new)
    print(f"renamed style {args.old!r} to {args.new!r} ({path})")


def _delete(args: argparse.Namespace) -> None:
    folder = StyleFolder(args.styles_dir)
    path = folder.existing(args.name)
    folder.delete(args.name)
    print(f"deleted style {args.name!r} ({path})")


def _adapt(args: argparse.Namespace) -> None:
    from handsynth.loaded import load_model
    from handsynth.nn.adaptation_file import adaptation_path

    folder = StyleFolder(args.styles_dir)
    files = [folder.existing(name) for name in [args.name, *args.more]]  # names checked first
    model = load_model(args.model, kind="synthesis")
    lines = []
    for file in files:
        offsets, text = model.load_style(file)
        lines.append((model.normalisation.denormalise(offsets), text))
    adapted = model.adapted(lines, args.steps, progress=sys.stderr.isatty())
    path = adapted.save_adaptation(adaptation_path(files[0]))
    print(f"adapted to {len(lines)} line(s) of {args.name!r}: {path}")
