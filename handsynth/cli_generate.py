"""The generating half of the command line: `write`, `heatmap`, `text sample` and `export`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

from handsynth.writer import DEFAULT_BIAS

RENDER_SCALE = 0.1  # px per IAM-OnDB pen unit: a written line comes out about 60 px tall


def add_write(sub, positive_int, positive_float) -> None:
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
        default=DEFAULT_BIAS,
        help=f"neatness: 0 as sampled, 1-3 neater (default {DEFAULT_BIAS:g})",
    )
    p.add_argument(
        "--temperature", type=positive_float, default=1.0, help="sampling noise scale (default 1)"
    )
    p.add_argument("--seed", type=int, help="fix the drawing (default: different every run)")
    p.add_argument(
        "--wrap",
        type=int,
        default=50,
        help="characters per line, 0 for the text's own lines (default 50)",
    )
    p.add_argument(
        "--retries",
        type=int,
        default=3,
        help="redraws of a line whose attention skipped or repeated a letter",
    )
    p.add_argument(
        "--align", choices=["left", "center", "right"], default="left", help="line alignment"
    )
    p.add_argument(
        "--line-spacing", type=float, default=0.5, help="gap between lines, in line heights"
    )
    p.add_argument("--stroke-width", type=positive_float, default=2.0, help="pen width in px")
    p.add_argument(
        "--colour", "--color", default="black", help="ink colour (SVG colour name or #rrggbb)"
    )
    p.add_argument("--background", help="page colour (default: transparent)")
    p.add_argument("--scale", type=positive_float, default=RENDER_SCALE, help="px per pen unit")
    p.add_argument(
        "--single-stroke", action="store_true", help="plain polylines a pen plotter can draw"
    )
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
    from handsynth.alphabet import Alphabet
    from handsynth.render import RenderOptions, render_png, render_svg
    from handsynth.styles import load_style
    from handsynth.weights import load_model, shipped_path
    from handsynth.writer import WriteOptions, tidy_lines, write_lines

    if args.output.suffix.lower() not in (".svg", ".png"):
        raise ValueError(f"{args.output}: the output must end in .svg or .png")
    text = sys.stdin.read() if args.text == "-" else args.text
    model, description = load_model(args.model or shipped_path("synthesis"), "synthesis")
    alphabet = Alphabet.from_json(description["data"]["alphabet"])
    lines = tidy_lines(text, alphabet, args.wrap)
    prime = None
    if args.style is not None:
        normalisation = description["data"]["normalisation"]
        mean, std = np.asarray(normalisation["mean"]), np.asarray(normalisation["std"])
        prime = load_style(args.style, args.style_text, mean, std)
        tidy_lines(prime[1], alphabet, 0)  # the style's text must be writable too
    options = WriteOptions(args.bias, args.temperature, args.seed, args.wrap, args.retries)
    written = write_lines(model, description, lines, options, prime)
    faulty = [(n, line) for n, line in enumerate(written, start=1) if line.faults]
    for n, line in faulty:
        problems = "; ".join(str(fault) for fault in line.faults)
        print(f"warning: line {n} {line.text!r}: {problems}", file=sys.stderr)
    if faulty and args.strict:
        raise ValueError(
            f"{len(faulty)} line(s) still faulty after {args.retries} retries (--strict); "
            "nothing written: try another --seed, a higher --bias or more --retries"
        )
    offsets = [line.offsets for line in written]
    render = RenderOptions(
        stroke_width=args.stroke_width,
        colour=args.colour,
        line_spacing=args.line_spacing,
        align=args.align,
        scale=args.scale,
        background=args.background,
        single_stroke=args.single_stroke,
    )
    if args.output.suffix.lower() == ".png":
        render_png(offsets, args.output, render)
    else:
        render_svg(offsets, args.output, render)
    print(f"wrote {args.output} ({len(lines)} line{'s' * (len(lines) != 1)})")


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
        "--length", type=positive_int, default=300, help="symbols to sample (default 300)"
    )
    s.add_argument(
        "--temperature", type=positive_float, default=1.0, help="below 1 is more conservative"
    )
    s.add_argument("--seed", type=int, help="fix the sample")


def run_text(args) -> None:
    from handsynth.alphabet import Alphabet
    from handsynth.sampling import make_generator
    from handsynth.text_sampling import sample_text
    from handsynth.weights import load_model, shipped_path

    model, description = load_model(args.model or shipped_path("text"), "text")
    alphabet = Alphabet.from_json(description["data"]["alphabet"])
    word_level = description["data"].get("level") == "word"
    prime = args.prime.split() if word_level else args.prime
    missing = alphabet.unknown(prime)
    if missing:
        raise ValueError(f"the prime uses symbols the model does not know: {missing}")
    generator = make_generator(args.seed)
    symbols = sample_text(model, alphabet, prime, args.length, args.temperature, generator)
    joiner = " " if word_level else ""
    print(joiner.join([*([args.prime] if args.prime else []), *symbols]))


def add_export(sub) -> None:
    p = sub.add_parser(
        "export",
        help="turn a training checkpoint into a small .safetensors model file",
        description="Write the weights of a checkpoint (float16) with everything needed to rebuild "
        "the model as safetensors metadata. This is how the shipped models were made.",
    )
    p.add_argument("checkpoint", type=Path, help="a best.pt or last.pt from `handsynth train`")
    p.add_argument("output", type=Path, help="the .safetensors file to write")


def run_export(args) -> None:
    from handsynth.checkpoint import load_checkpoint
    from handsynth.weights import export_weights

    description = export_weights(load_checkpoint(args.checkpoint), args.output)
    size_mb = args.output.stat().st_size / 1e6
    print(f"wrote {args.output} ({description['kind']}, {size_mb:.1f} MB)")


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
    p.add_argument("--bias", type=float, default=DEFAULT_BIAS, help="with --text: neatness")
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
    from handsynth.alphabet import Alphabet
    from handsynth.plots import model_outputs, plot_attention, plot_prediction_heatmap
    from handsynth.strokes import normalise
    from handsynth.weights import load_any_model, shipped_path
    from handsynth.writer import WriteOptions, write_lines

    model, description = load_any_model(args.model or shipped_path("synthesis"))
    if description["kind"] not in ("prediction", "synthesis"):
        raise ValueError(
            f"{args.model} is a {description['kind']} model; heatmaps need handwriting"
        )
    mean = np.asarray(description["data"]["normalisation"]["mean"])
    std = np.asarray(description["data"]["normalisation"]["std"])
    if args.text is not None:
        if description["kind"] != "synthesis":
            raise ValueError("--text needs a synthesis model; use --data and --line instead")
        text = args.text
        options = WriteOptions(bias=args.bias, seed=args.seed, wrap=0)
        (written,) = write_lines(model, description, [text], options)
        offsets = written.offsets
    else:
        if args.data is None:
            raise ValueError("--line needs --data, the prepared folder the line comes from")
        offsets, text = _validation_line(args.data, args.line)
    if args.attention is not None and description["kind"] != "synthesis":
        raise ValueError("--attention needs a synthesis model")
    chars = None
    if description["kind"] == "synthesis":
        alphabet = Alphabet.from_json(description["data"]["alphabet"])
        chars = torch.from_numpy(alphabet.encode(text))
    params, phi = model_outputs(model, normalise(offsets, mean, std), chars)
    plot_prediction_heatmap(offsets, params, mean, std, args.output, args.components, text)
    print(f"wrote {args.output}")
    if args.attention is not None:
        plot_attention(phi, text, args.attention, offsets)
        print(f"wrote {args.attention}")
