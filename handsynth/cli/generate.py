"""The generating half of the command line: `write`, `sample`, `heatmap`, `text sample`, `export`.

Each command parses and checks its flags, loads the model with `handsynth.load_model`, calls one of
its methods and prints what it wrote. Defaults come from the library (`WriteOptions`,
`RenderOptions`, `loaded`), so the command and the Python API draw the same thing.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from handsynth import limits
from handsynth.cli import args as cli_args
from handsynth.cli.serve import default_styles_dir
from handsynth.errors import UserError
from handsynth.options import (
    DEFAULT_CANDIDATES,
    DEFAULT_STYLE,
    MAX_CHARACTERS,
    MAX_LINE_CHARACTERS,
    NO_STYLE,
    SAMPLE_BIAS,
    SAMPLE_STEPS,
    TEXT_LENGTH,
    WriteOptions,
)
from handsynth.write.formats.pdf import PdfOptions
from handsynth.write.formats.plotter import PlotterOptions
from handsynth.write.handwriting import FORMATS
from handsynth.write.lines import TextError, tidy_lines
from handsynth.write.render import RenderOptions
from handsynth.write.style_folder import NAME, StyleFolder
from handsynth.write.styles import SHIPPED_STYLE_COUNT
from handsynth.write.substitute import read_substitutions
from handsynth.write.substitute import substitute as substitute_characters
from handsynth.write.typography import plain_typography

RENDER = RenderOptions()  # the library's render defaults, shown in --help
PDF = PdfOptions()
PLOTTER = PlotterOptions()
OUTPUT_HELP = (
    "file to write, its format chosen by the ending: .svg, .png, .pdf (printable pages), "
    ".gcode or .hpgl (pen plotters), .gif or .webp (the pen writing) or .inkml (digital ink)"
)


IMAGE_OUTPUT = cli_args.output_file(tuple(FORMATS))


def _plotter_size(value: str) -> tuple[float, float]:
    """ "WIDTHxHEIGHT" in millimetres, e.g. 297x210."""
    try:
        width, height = (float(part) for part in value.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{value!r}: give the plotter's drawing area as WIDTHxHEIGHT in mm, e.g. 297x210"
        ) from None
    if not (0 < width <= 10_000 and 0 < height <= 10_000):
        raise argparse.ArgumentTypeError(f"{value!r}: each side above 0 up to 10000 mm")
    return width, height


def _add_output_flags(p) -> None:
    g = p.add_argument_group("PDF, plotter and animation output (by the -o file's ending)")
    g.add_argument("--paper", choices=["a4", "letter"], default=PDF.paper, help=".pdf: paper size")
    g.add_argument(
        "--margin",
        type=cli_args.number(0, 100),
        default=PDF.margin,
        help=".pdf: blank border on every side, 0-100 mm",
    )
    g.add_argument(
        "--ruling",
        choices=["none", "ruled", "squared"],
        default=PDF.ruling,
        help=".pdf: paper under the ink: plain, ruled on the written baselines, or squared",
    )
    g.add_argument(
        "--ink",
        choices=["plain", "pen"],
        default=RENDER.ink,
        help="ink of .svg, .png and .pdf: one pen width, or a width that varies with the pen's "
        "speed, as from a nib (plotter, animated and --single-stroke output: always plain)",
    )
    g.add_argument(
        "--plotter-size",
        type=_plotter_size,
        default=PLOTTER.size,
        metavar="WxH",
        help=".gcode/.hpgl: the plotter's drawing area in mm; the page is fitted into it "
        "(default: 297x210)",
    )
    g.add_argument(
        "--feed",
        type=cli_args.number(1, 100_000),
        default=PLOTTER.feed,
        help=".gcode/.hpgl: drawing speed, 1-100000 mm/min",
    )
    g.add_argument(
        "--pen-up", default=PLOTTER.pen_up, help=".gcode: the command that lifts the pen"
    )
    g.add_argument(
        "--pen-down", default=PLOTTER.pen_down, help=".gcode: the command that lowers the pen"
    )
    g.add_argument(
        "--animate",
        action="store_true",
        help=".svg: the strokes draw themselves in a browser, at the pace they were written",
    )
    g.add_argument(
        "--speed",
        type=cli_args.number(0.1, 100),
        default=1.0,
        help=".svg --animate, .gif, .webp: times the recorded pace, 0.1-100",
    )


def _save(handwriting, args) -> None:
    """Write the page in the format the output file's ending names."""
    handwriting.save(
        args.output,
        pdf=PdfOptions(paper=args.paper, margin=args.margin, ruling=args.ruling),
        plotter=PlotterOptions(
            size=args.plotter_size, feed=args.feed, pen_up=args.pen_up, pen_down=args.pen_down
        ),
        animate=args.animate,
        speed=args.speed,
        **_render_options(args),
    )


def _add_render_flags(p) -> None:
    p.add_argument(
        "--align",
        choices=["left", "center", "right", "justify"],
        default=RENDER.align,
        help="line alignment; justify widens the word gaps of every line but a paragraph's last "
        "to the widest line's width",
    )
    p.add_argument(
        "--line-spacing",
        type=cli_args.number(*limits.LINE_SPACING),
        default=RENDER.line_spacing,
        help=f"gap between lines, in line heights, {cli_args.span(limits.LINE_SPACING)}",
    )
    p.add_argument(
        "--stroke-width",
        type=cli_args.number(*limits.STROKE_WIDTH, above_low=True),
        default=RENDER.stroke_width,
        help=f"pen width in px, above {cli_args.span(limits.STROKE_WIDTH, ' up to ')}",
    )
    p.add_argument(
        "--colour",
        "--color",
        type=cli_args.colour,
        help=f"ink colour: a CSS colour name or #rrggbb (none: {RENDER.colour})",
    )
    p.add_argument(
        "--background", type=cli_args.colour, help="page colour (none: a transparent page)"
    )
    p.add_argument(
        "--scale",
        type=cli_args.number(*limits.SCALE, above_low=True),
        default=RENDER.scale,
        help=f"px per pen unit, above {cli_args.span(limits.SCALE, ' up to ')}",
    )
    p.add_argument(
        "--single-stroke", action="store_true", help="plain polylines a pen plotter can draw"
    )
    p.add_argument(
        "--one-hand",
        action=argparse.BooleanOptionalAction,
        default=RENDER.one_hand,
        help="on a page of several lines, scale every line to the page's median x-height (the "
        "height of a, e, n...), lean it to the median slant, level it and set it on an even "
        "baseline, so the lines look written by one person: the network draws each line afresh, "
        "in its own size and slant. --no-one-hand leaves the lines as drawn",
    )


def _render_options(args) -> dict:
    return {
        "stroke_width": args.stroke_width,
        "colour": args.colour or RENDER.colour,
        "line_spacing": args.line_spacing,
        "align": args.align,
        "scale": args.scale,
        "background": args.background,
        "single_stroke": args.single_stroke,
        "one_hand": args.one_hand,
        "ink": args.ink,
    }


def add_write(sub) -> None:
    defaults = WriteOptions()
    p = sub.add_parser(
        "write",
        help="write text as handwriting (SVG, PNG, PDF, G-code, an animation, InkML)",
        description="Write TEXT in handwriting with the synthesis network. Works out of the box "
        "with the shipped model; --model takes your own checkpoint or exported weights.",
        epilog='example: handsynth write "Dear Ada, thank you" -o letter.svg --seed 1\n'
        "most legible (about 1.7x slower): add --candidates 4; looser and more varied: --bias 1",
    )
    p.add_argument("text", help="the text; '-' reads it from standard input; newlines start lines")
    p.add_argument(
        "-o",
        "--output",
        type=IMAGE_OUTPUT,
        default="handwriting.svg",
        help=OUTPUT_HELP,
    )
    p.add_argument(
        "--model",
        type=cli_args.input_file,
        help="a synthesis checkpoint (.pt) or exported .safetensors (none: the shipped model)",
    )
    p.add_argument(
        "--bias",
        type=cli_args.number(*limits.BIAS),
        default=defaults.bias,
        help=f"neatness, {cli_args.span(limits.BIAS)}: 0 as sampled, 1-3 neater",
    )
    p.add_argument(
        "--temperature",
        type=cli_args.number(*limits.TEMPERATURE, above_low=True),
        default=defaults.temperature,
        help=f"sampling noise scale, above {cli_args.span(limits.TEMPERATURE, ' up to ')}",
    )
    p.add_argument(
        "--seed", type=cli_args.seed, help="fix the drawing, 0 to 2**63-1 (none: new each run)"
    )
    p.add_argument(
        "--wrap",
        type=cli_args.wrap,
        default=defaults.wrap,
        help=f"line width in average characters, {cli_args.span(limits.WRAP)} (each character "
        "counts the width it is predicted to take: an m three times an i), or 0 for the text's "
        "own lines",
    )
    p.add_argument(
        "--retries",
        type=cli_args.integer(*limits.RETRIES),
        default=defaults.retries,
        help=f"redraws of a line that has faults, {cli_args.span(limits.RETRIES)}",
    )
    p.add_argument(
        "--candidates",
        type=cli_args.integer(*limits.CANDIDATES),
        help="draws of each line, of which the shipped recogniser keeps the one it reads best "
        f"({cli_args.span(limits.CANDIDATES)}; default {DEFAULT_CANDIDATES}, or 1 for a model "
        "whose alphabet the recogniser does not read); the draws go in one batch, so 2 take "
        "about 1.2x the time of 1 and 4 about 1.7x",
    )
    p.add_argument(
        "--glyphs",
        action=argparse.BooleanOptionalAction,
        default=defaults.glyphs,
        help="draw digits, the capitals of initials and codes, and a slash and a colon from real "
        "handwriting, in the line's hand, where the network writes them badly (docs/legibility.md)."
        " --no-glyphs lets the network write every character",
    )
    _add_render_flags(p)
    _add_output_flags(p)
    p.add_argument(
        "--style",
        help=f"the hand every line is written in: one of the {SHIPPED_STYLE_COUNT} shipped styles "
        f"(a number, 1-{SHIPPED_STYLE_COUNT}; `handsynth styles preview` shows them) or a line "
        "of your own: an IAM-OnDB lineStrokes .xml, an .svg whose paths are pen strokes, or a "
        "one-line .inkml (digital ink from a tablet), or the NAME of a style saved with "
        "`handsynth styles add` or on the page. "
        f"Default: style {DEFAULT_STYLE}; "
        f"{NO_STYLE}: no style, each line in a hand of its own",
    )
    p.add_argument("--style-text", help="what the --style file's line reads")
    p.add_argument(
        "--styles-dir",
        type=Path,
        default=str(default_styles_dir()),
        help="folder of saved styles, where --style NAME is looked up (as handsynth serve "
        "--styles-dir; default: %(default)s)",
    )
    p.add_argument(
        "--substitute",
        action="store_true",
        help="replace characters the model cannot write by ones it can (€ -> EUR, £ -> GBP, "
        "é -> e, @ -> at...), with a notice naming them; without it such a text is refused",
    )
    p.add_argument(
        "--substitutions",
        type=cli_args.input_file,
        metavar="FILE",
        help="your own map, one 'FROM TO' a line (no TO drops FROM), used on top of the shipped "
        "one; implies --substitute",
    )
    p.add_argument(
        "--device",
        type=cli_args.device,
        default="cpu",
        help="cpu (numpy), cuda or cuda:N: where the network runs; a GPU pays for many lines",
    )
    p.add_argument(
        "--strict",
        action="store_true",
        help="exit with an error, writing nothing, when a line still has faults after the retries",
    )


def _style_source(style: str | None, styles_dir: Path) -> str | None:
    """--style as `write` takes it: a saved style's NAME becomes its file in `styles_dir`; a number
    or a path stays as given (a missing file is reported by `write`)."""
    if style is None or style.isdigit() or Path(style).exists():
        return style
    folder = StyleFolder(styles_dir)
    if NAME.fullmatch(style) and folder.path(style).is_file():
        return str(folder.path(style))
    return style


def run_write(args) -> None:
    from handsynth.loaded import load_model

    if args.style_text is not None and args.style is None:
        raise UserError("--style-text needs --style: it says what the style line reads")
    text = cli_args.read_stdin(MAX_CHARACTERS + 1) if args.text == "-" else args.text
    cli_args.check_device(args.device)
    model = load_model(args.model, kind="synthesis", device=args.device)
    substitute = args.substitute
    if args.substitutions is not None:
        substitute = read_substitutions(args.substitutions)
    if not substitute:
        _refuse_what_substitute_would_write(text, model.alphabet)
    handwriting = model.write(
        text,
        bias=args.bias,
        temperature=args.temperature,
        seed=args.seed,
        wrap=args.wrap,
        retries=args.retries,
        candidates=args.candidates,
        glyphs=args.glyphs,
        style=_style_source(args.style, args.styles_dir),
        style_text=args.style_text,
        substitute=substitute,
        progress=sys.stderr.isatty(),
    )
    faulty = [
        (n, line_text, faults)
        for n, (line_text, faults) in enumerate(
            zip(handwriting.texts, handwriting.faults, strict=True), start=1
        )
        if faults
    ]
    for n, line_text, faults in faulty:
        problems = "; ".join(str(fault) for fault in faults)
        print(f"warning: line {n} {line_text!r}: {problems}", file=sys.stderr)
    if faulty and args.strict:
        raise UserError(
            f"{len(faulty)} line(s) still faulty after {args.retries} retries (--strict); "
            "nothing written: try another --seed, a higher --bias or more --retries"
        )
    _save(handwriting, args)
    count = len(handwriting.texts)
    print(f"wrote {args.output} ({count} line{'s' * (count != 1)})")


def _refuse_what_substitute_would_write(text: str, alphabet) -> None:
    """A text the model cannot write as it is but could with the shipped map: refused with the
    characters' places (as the library refuses them) and a pointer to --substitute."""
    as_is = plain_typography(substitute_characters(text, alphabet, False)[0])[0]
    try:
        tidy_lines(as_is, alphabet, 0)
    except TextError as error:
        substituted = plain_typography(substitute_characters(text, alphabet, True)[0])[0]
        if substituted != as_is:
            raise TextError(
                f"{error}; --substitute replaces some of them by characters it writes "
                "(€ -> EUR, £ -> GBP, é -> e, @ -> at...), with a notice naming them"
            ) from None


def add_sample(sub) -> None:
    p = sub.add_parser(
        "sample",
        help="draw unconditional handwriting with a prediction network",
        description="Let the prediction network write on its own, one pen step at a time, with no "
        "text to follow (Graves §4, Fig 11). Works out of the box with the shipped prediction "
        "model; --model takes your own.",
        epilog="example: handsynth sample --steps 700 --lines 3 --seed 0 -o scribble.png",
    )
    p.add_argument(
        "-o",
        "--output",
        type=IMAGE_OUTPUT,
        default="sample.svg",
        help=OUTPUT_HELP,
    )
    p.add_argument(
        "--model",
        type=cli_args.input_file,
        help="a prediction checkpoint (.pt) or .safetensors (none: the shipped model)",
    )
    p.add_argument(
        "--steps",
        type=cli_args.integer(*limits.SAMPLE_STEPS),
        default=SAMPLE_STEPS,
        help=f"pen steps per line, {cli_args.span(limits.SAMPLE_STEPS)} (about 25 per character)",
    )
    p.add_argument(
        "--lines",
        type=cli_args.integer(*limits.SAMPLE_LINES),
        default=1,
        help=f"lines to draw, {cli_args.span(limits.SAMPLE_LINES)}",
    )
    p.add_argument(
        "--bias",
        type=cli_args.number(*limits.BIAS),
        default=SAMPLE_BIAS,
        help=f"neatness, {cli_args.span(limits.BIAS)}: 0 as sampled, higher is steadier",
    )
    p.add_argument(
        "--temperature",
        type=cli_args.number(*limits.TEMPERATURE, above_low=True),
        default=1.0,
        help=f"sampling noise scale, above {cli_args.span(limits.TEMPERATURE, ' up to ')}",
    )
    p.add_argument(
        "--seed", type=cli_args.seed, help="fix the drawing, 0 to 2**63-1 (none: new each run)"
    )
    _add_render_flags(p)
    _add_output_flags(p)


def run_sample(args) -> None:
    from handsynth.loaded import load_model

    model = load_model(args.model, kind="prediction")
    handwriting = model.sample(
        steps=args.steps,
        lines=args.lines,
        bias=args.bias,
        temperature=args.temperature,
        seed=args.seed,
    )
    _save(handwriting, args)
    print(f"wrote {args.output} ({args.lines} line{'s' * (args.lines != 1)})")


def add_text(sub) -> None:
    p = sub.add_parser("text", help="the text network: sample text")
    text_sub = p.add_subparsers(dest="text_command", required=True, metavar="ACTION")
    s = text_sub.add_parser(
        "sample",
        help="sample text from a text network",
        description="Sample characters (or words) from a text network, optionally after a prime.",
    )
    s.add_argument(
        "--model",
        type=cli_args.model_file_or_name,
        help="a text checkpoint (.pt) or .safetensors, or the name of a shipped text model: text "
        "(Penn Treebank characters) or shakespeare (tiny Shakespeare) (none: text)",
    )
    s.add_argument("--prime", default="", help="text the network reads before sampling")
    s.add_argument(
        "--length",
        type=cli_args.integer(*limits.TEXT_LENGTH),
        default=TEXT_LENGTH,
        help=f"symbols to sample, {cli_args.span(limits.TEXT_LENGTH)}; printed as they are sampled",
    )
    s.add_argument(
        "--temperature",
        type=cli_args.number(*limits.TEMPERATURE, above_low=True),
        default=1.0,
        help=f"above {cli_args.span(limits.TEMPERATURE, ' up to ')}; below 1 is more conservative",
    )
    s.add_argument("--seed", type=cli_args.seed, help="fix the sample, 0 to 2**63-1")


def run_text(args) -> None:
    from handsynth.loaded import load_model

    model = load_model(args.model, kind="text")
    for piece in model.stream(args.prime, args.length, args.temperature, args.seed):
        sys.stdout.write(piece)
        if "\n" in piece or sys.stdout.isatty():
            sys.stdout.flush()
    print()


def add_export(sub) -> None:
    p = sub.add_parser(
        "export",
        help="turn a training checkpoint into a small .safetensors model file",
        description="Write the weights of a model file (float16) with everything needed to "
        "rebuild the model as safetensors metadata. This is how the shipped models were made.",
        epilog="example: handsynth export runs/synthesis/best.pt -o synthesis.safetensors",
    )
    p.add_argument(
        "checkpoint",
        type=cli_args.input_file,
        help="a best.pt or last.pt from `handsynth train`, or a model file",
    )
    p.add_argument(
        "-o",
        "--output",
        type=cli_args.output_file((".safetensors",)),
        required=True,
        help="the .safetensors file to write",
    )


def run_export(args) -> None:
    from handsynth.loaded import load_model

    if args.output.resolve() == args.checkpoint.resolve():
        raise UserError(f"{args.output}: give another file than the one exported")
    model = load_model(args.checkpoint)
    model.export(args.output)
    size_mb = args.output.stat().st_size / 1e6
    print(f"wrote {args.output} ({model.kind}, {size_mb:.1f} MB)")


def add_heatmap(sub) -> None:
    p = sub.add_parser(
        "heatmap",
        help="Graves-style prediction heatmap and attention plot",
        description="Plot the density the network predicts for each next pen position, summed "
        "over a line (Graves Figs 4 and 10), and for a synthesis network the window weights over "
        "the characters against time (Fig 13). The line comes from the prepared data (--data "
        "with --line) or is written first (--text).",
        epilog="examples:\n"
        "  handsynth heatmap --model runs/prediction/best.pt --data /tmp/prepared --line 0\n"
        '  handsynth heatmap --text "hello world" --attention attention.png',
    )
    p.add_argument(
        "--model",
        type=cli_args.input_file,
        help="prediction or synthesis model (none: the shipped synthesis model)",
    )
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--text", help="write this line with the synthesis model, then plot it")
    source.add_argument("--line", help="a validation line of --data: its id or its index")
    p.add_argument("--data", type=Path, help="prepared folder, with --line")
    plot = cli_args.output_file((".png", ".svg", ".pdf"))
    p.add_argument("-o", "--output", type=plot, default="heatmap.png", help="heatmap file")
    p.add_argument("--components", action="store_true", help="add the mixture weights panel")
    p.add_argument("--attention", type=plot, help="also plot the attention window to this file")
    p.add_argument(
        "--bias",
        type=cli_args.number(*limits.BIAS),
        default=WriteOptions.bias,
        help=f"with --text: neatness, {cli_args.span(limits.BIAS)}",
    )
    p.add_argument("--seed", type=cli_args.seed, default=0, help="with --text: the drawing")


def _validation_line(data_dir: Path, line: str) -> tuple[np.ndarray, str]:
    from handsynth.data.prepare import load_prepared

    offsets, texts, line_ids = load_prepared(data_dir, "valid")
    if line in line_ids:
        index = line_ids.index(line)
    elif line.isascii() and line.isdigit() and int(line) < len(line_ids):
        index = int(line)
    else:
        raise UserError(f"{line!r} is neither a line id nor an index below {len(line_ids)}")
    return offsets[index], texts[index]


def run_heatmap(args) -> None:
    from handsynth.eval.plots import attention, heatmap
    from handsynth.loaded import PredictionModel, SynthesisModel, load_model

    model = load_model(args.model)
    if not isinstance(model, (PredictionModel, SynthesisModel)):
        raise UserError(f"{args.model} is a {model.kind} model; heatmaps need handwriting")
    if args.attention is not None and not isinstance(model, SynthesisModel):
        raise UserError("--attention needs a synthesis model")
    if args.text is not None:
        if not isinstance(model, SynthesisModel):
            raise UserError("--text needs a synthesis model; use --data and --line instead")
        written = model.write(args.text, bias=args.bias, seed=args.seed, wrap=0)
        if len(written.texts) != 1:
            raise UserError(f"--text takes one line of at most {MAX_LINE_CHARACTERS} characters")
        (offsets,), (text,) = written.offsets, written.texts
    else:
        if args.data is None:
            raise UserError("--line needs --data, the prepared folder the line comes from")
        offsets, text = _validation_line(args.data, args.line)
    heatmap(model, offsets, args.output, text, args.components)
    print(f"wrote {args.output}")
    if args.attention is not None:
        attention(model, offsets, text, args.attention)
        print(f"wrote {args.attention}")
