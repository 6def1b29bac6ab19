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

from handsynth.handwriting import FORMATS
from handsynth.loaded import SAMPLE_BIAS, SAMPLE_STEPS, TEXT_LENGTH, load_model
from handsynth.render import RenderOptions
from handsynth.writer import MAX_LINE_CHARACTERS, WriteOptions

RENDER = RenderOptions()  # the library's render defaults, shown in --help


def _check_output(path: Path) -> None:
    if path.suffix.lower() not in FORMATS:
        raise ValueError(f"{path}: the output must end in .svg or .png")


def _add_render_flags(p, positive_float) -> None:
    p.add_argument(
        "--align", choices=["left", "center", "right"], default=RENDER.align, help="line alignment"
    )
    p.add_argument(
        "--line-spacing",
        type=float,
        default=RENDER.line_spacing,
        help=f"gap between lines, in line heights (default {RENDER.line_spacing:g})",
    )
    p.add_argument(
        "--stroke-width",
        type=positive_float,
        default=RENDER.stroke_width,
        help=f"pen width in px (default {RENDER.stroke_width:g})",
    )
    p.add_argument(
        "--colour", "--color", default=RENDER.colour, help="ink colour (SVG colour name or #rrggbb)"
    )
    p.add_argument("--background", help="page colour (default: transparent)")
    p.add_argument(
        "--scale",
        type=positive_float,
        default=RENDER.scale,
        help=f"px per pen unit (default {RENDER.scale:g})",
    )
    p.add_argument(
        "--single-stroke", action="store_true", help="plain polylines a pen plotter can draw"
    )


def _render_options(args) -> dict:
    return {
        "stroke_width": args.stroke_width,
        "colour": args.colour,
        "line_spacing": args.line_spacing,
        "align": args.align,
        "scale": args.scale,
        "background": args.background,
        "single_stroke": args.single_stroke,
    }


def add_write(sub, positive_int, positive_float) -> None:
    defaults = WriteOptions()
    p = sub.add_parser(
        "write",
        help="write text as handwriting (SVG or PNG)",
        description="Write TEXT in handwriting with the synthesis network. Works out of the box "
        "with the shipped model; --model takes your own checkpoint or exported weights.",
        epilog='example: handsynth write "Dear Ada, thank you" -o letter.svg --bias 1 --seed 3',
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("text", help="the text; '-' reads it from standard input; newlines start lines")
    p.add_argument(
        "-o",
        "--output",
        type=Path,
        default=Path("handwriting.svg"),
        help="file to write: .svg or .png (default: handwriting.svg)",
    )
    p.add_argument(
        "--model",
        type=Path,
        help="a synthesis checkpoint (.pt) or exported .safetensors (default: the shipped model)",
    )
    p.add_argument(
        "--bias",
        type=float,
        default=defaults.bias,
        help=f"neatness: 0 as sampled, 1-3 neater (default {defaults.bias:g})",
    )
    p.add_argument(
        "--temperature",
        type=positive_float,
        default=defaults.temperature,
        help=f"sampling noise scale (default {defaults.temperature:g})",
    )
    p.add_argument("--seed", type=int, help="fix the drawing (default: different every run)")
    p.add_argument(
        "--wrap",
        type=int,
        default=defaults.wrap,
        help=f"characters per line, 0 for the text's own lines (default {defaults.wrap})",
    )
    p.add_argument(
        "--retries",
        type=int,
        default=defaults.retries,
        help="redraws of a line whose attention skipped or repeated a letter "
        f"(default {defaults.retries})",
    )
    _add_render_flags(p, positive_float)
    p.add_argument(
        "--style",
        help="write in the style of a shipped style (a number) or of a line of your own: an "
        "IAM-OnDB lineStrokes .xml or an .svg whose paths are pen strokes",
    )
    p.add_argument("--style-text", help="what the --style file's line reads")
    p.add_argument(
        "--strict",
        action="store_true",
        help="exit with an error, writing nothing, when a line still has faults after the retries",
    )


def run_write(args) -> None:
    _check_output(args.output)
    text = sys.stdin.read() if args.text == "-" else args.text
    model = load_model(args.model, kind="synthesis")
    handwriting = model.write(
        text,
        bias=args.bias,
        temperature=args.temperature,
        seed=args.seed,
        wrap=args.wrap,
        retries=args.retries,
        style=args.style,
        style_text=args.style_text,
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
        raise ValueError(
            f"{len(faulty)} line(s) still faulty after {args.retries} retries (--strict); "
            "nothing written: try another --seed, a higher --bias or more --retries"
        )
    handwriting.save(args.output, **_render_options(args))
    count = len(handwriting.texts)
    print(f"wrote {args.output} ({count} line{'s' * (count != 1)})")


def add_sample(sub, positive_int, positive_float) -> None:
    p = sub.add_parser(
        "sample",
        help="draw unconditional handwriting with a prediction network (SVG or PNG)",
        description="Let the prediction network write on its own, one pen step at a time, with no "
        "text to follow (Graves §4, Fig 11). Works out of the box with the shipped prediction "
        "model; --model takes your own.",
        epilog="example: handsynth sample --steps 700 --lines 3 --seed 0 -o scribble.png",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "-o",
        "--output",
        type=Path,
        default=Path("sample.svg"),
        help="file to write: .svg or .png (default: sample.svg)",
    )
    p.add_argument(
        "--model",
        type=Path,
        help="a prediction checkpoint (.pt) or .safetensors (default: the shipped model)",
    )
    p.add_argument(
        "--steps",
        type=positive_int,
        default=SAMPLE_STEPS,
        help=f"pen steps per line (default {SAMPLE_STEPS}, about 25 per character)",
    )
    p.add_argument("--lines", type=positive_int, default=1, help="lines to draw (default 1)")
    p.add_argument(
        "--bias",
        type=float,
        default=SAMPLE_BIAS,
        help=f"neatness: 0 as sampled, higher is steadier (default {SAMPLE_BIAS:g})",
    )
    p.add_argument(
        "--temperature", type=positive_float, default=1.0, help="sampling noise scale (default 1)"
    )
    p.add_argument("--seed", type=int, help="fix the drawing (default: different every run)")
    _add_render_flags(p, positive_float)


def run_sample(args) -> None:
    _check_output(args.output)
    model = load_model(args.model, kind="prediction")
    handwriting = model.sample(
        steps=args.steps,
        lines=args.lines,
        bias=args.bias,
        temperature=args.temperature,
        seed=args.seed,
    )
    handwriting.save(args.output, **_render_options(args))
    print(f"wrote {args.output} ({args.lines} line{'s' * (args.lines != 1)})")


def add_text(sub, positive_int, positive_float) -> None:
    p = sub.add_parser("text", help="the text network: sample text")
    text_sub = p.add_subparsers(dest="text_command", required=True, metavar="ACTION")
    s = text_sub.add_parser(
        "sample",
        help="sample text from a text network",
        description="Sample characters (or words) from a text network, optionally after a prime.",
    )
    s.add_argument(
        "--model", type=Path, help="a text checkpoint (.pt) or .safetensors (default: shipped)"
    )
    s.add_argument("--prime", default="", help="text the network reads before sampling")
    s.add_argument(
        "--length",
        type=positive_int,
        default=TEXT_LENGTH,
        help=f"symbols to sample (default {TEXT_LENGTH})",
    )
    s.add_argument(
        "--temperature", type=positive_float, default=1.0, help="below 1 is more conservative"
    )
    s.add_argument("--seed", type=int, help="fix the sample")


def run_text(args) -> None:
    model = load_model(args.model, kind="text")
    print(model.generate(args.prime, args.length, args.temperature, args.seed))


def add_export(sub) -> None:
    p = sub.add_parser(
        "export",
        help="turn a training checkpoint into a small .safetensors model file",
        description="Write the weights of a model file (float16) with everything needed to "
        "rebuild the model as safetensors metadata. This is how the shipped models were made.",
        epilog="example: handsynth export runs/synthesis/best.pt -o synthesis.safetensors",
    )
    p.add_argument(
        "checkpoint", type=Path, help="a best.pt or last.pt from `handsynth train`, or a model file"
    )
    p.add_argument(
        "-o", "--output", type=Path, required=True, help="the .safetensors file to write"
    )


def run_export(args) -> None:
    if args.output.suffix != ".safetensors":
        raise ValueError(f"{args.output}: the output must end in .safetensors")
    if args.output.resolve() == args.checkpoint.resolve():
        raise ValueError(f"{args.output}: give another file than the one exported")
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
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--model", type=Path, help="prediction or synthesis model (default: shipped)")
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--text", help="write this line with the synthesis model, then plot it")
    source.add_argument("--line", help="a validation line of --data: its id or its index")
    p.add_argument("--data", type=Path, help="prepared folder, with --line")
    p.add_argument("-o", "--output", type=Path, default=Path("heatmap.png"), help="heatmap file")
    p.add_argument("--components", action="store_true", help="add the mixture weights panel")
    p.add_argument("--attention", type=Path, help="also plot the attention window to this file")
    p.add_argument("--bias", type=float, default=WriteOptions.bias, help="with --text: neatness")
    p.add_argument("--seed", type=int, default=0, help="with --text: the drawing")


def _validation_line(data_dir: Path, line: str) -> tuple[np.ndarray, str]:
    from handsynth.prepare import load_prepared

    offsets, texts, line_ids = load_prepared(data_dir, "valid")
    if line in line_ids:
        index = line_ids.index(line)
    elif line.isdigit() and int(line) < len(line_ids):
        index = int(line)
    else:
        raise ValueError(f"{line!r} is neither a line id nor an index below {len(line_ids)}")
    return offsets[index], texts[index]


def run_heatmap(args) -> None:
    model = load_model(args.model)
    if model.kind not in ("prediction", "synthesis"):
        raise ValueError(f"{args.model} is a {model.kind} model; heatmaps need handwriting")
    if args.attention is not None and model.kind != "synthesis":
        raise ValueError("--attention needs a synthesis model")
    if args.text is not None:
        if model.kind != "synthesis":
            raise ValueError("--text needs a synthesis model; use --data and --line instead")
        written = model.write(args.text, bias=args.bias, seed=args.seed, wrap=0)
        if len(written.texts) != 1:
            raise ValueError(f"--text takes one line of at most {MAX_LINE_CHARACTERS} characters")
        (offsets,), (text,) = written.offsets, written.texts
    else:
        if args.data is None:
            raise ValueError("--line needs --data, the prepared folder the line comes from")
        offsets, text = _validation_line(args.data, args.line)
    model.heatmap(offsets, args.output, text, args.components)
    print(f"wrote {args.output}")
    if args.attention is not None:
        model.attention(offsets, text, args.attention)
        print(f"wrote {args.attention}")
