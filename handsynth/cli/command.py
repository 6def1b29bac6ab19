"""The `handsynth` command line: parse, validate, call the library. Nothing else lives here."""

from __future__ import annotations

import argparse
import json
import os
import sys
import warnings
from pathlib import Path
from typing import NoReturn

from handsynth import __version__, limits
from handsynth.cli import args as cli_args
from handsynth.cli import generate as cli_generate
from handsynth.cli import serve as cli_serve
from handsynth.errors import FieldError, UserError
from handsynth.options import DEFAULT_BIAS, DEFAULT_BPTT

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


# `eval legibility` only: its flags default to None so that giving them elsewhere can be refused.
LEGIBILITY_DEFAULTS = {
    "recogniser": None,
    "model": None,
    "texts": None,
    "lines": 100,
    "bias": DEFAULT_BIAS,
    "seed": 0,
    "ocr": None,
    "candidates": 1,
}


class CliError(UserError):
    """A problem with what the user asked for; printed without a traceback."""


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


COUNT = cli_args.integer(1, 1_000_000_000)  # steps, epochs: positive and finite
SIZE = cli_args.integer(1, 8192)  # layer sizes, batch sizes


def _add_prepare(sub) -> None:
    p = sub.add_parser(
        "prepare",
        help="turn the IAM-OnDB XML into training arrays",
        description="Parse IAM-OnDB lineStrokes + ascii transcriptions into normalised offset "
        "arrays (train = trainset + testset_t + testset_f as Graves did, valid = testset_v) and "
        "metadata.json, which records which sets went where.",
    )
    p.add_argument(
        "--iam-root", required=True, type=Path, help="folder holding lineStrokes/ and ascii/"
    )
    p.add_argument(
        "--out",
        required=True,
        type=cli_args.output_folder,
        help="folder to write the arrays and metadata to",
    )
    p.add_argument(
        "--splits",
        type=Path,
        help="folder with the form lists trainset.txt, testset_v.txt and optionally "
        "testset_t.txt, testset_f.txt (none: IAM_ROOT/splits, then "
        "../shared/data/iamondb-splits)",
    )
    p.add_argument(
        "--train-sets",
        help="comma-separated sets to train on, of trainset, testset_t, testset_f (none: each "
        "of them whose form list is in the splits folder); testset_v is always validation",
    )
    p.add_argument(
        "--blacklist",
        type=cli_args.input_file,
        help="line ids to drop from training (.npy as shipped, or text)",
    )
    p.add_argument(
        "--blacklist-valid",
        action="store_true",
        help="drop blacklisted lines from validation too (otherwise the official set stays whole)",
    )
    p.add_argument(
        "--reduced-alphabet",
        action="store_true",
        help="Graves's 57 symbols (letters, space, . , ' and one class for the rest)",
    )
    p.add_argument(
        "--smooth",
        action="store_true",
        help="smooth the pen jitter in each stroke (Savitzky-Golay, 7 points, cubic); the "
        "validation lines too, so their log-loss no longer compares with raw-data numbers",
    )
    p.add_argument(
        "--slant-correction",
        action="store_true",
        help="shear each line upright (the validation lines too)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def _add_train(sub) -> None:
    p = sub.add_parser(
        "train",
        help="train a prediction, synthesis or text network, or the CTC recogniser",
        description="Train one of Graves's networks. Re-running with the same --out resumes "
        "exactly where the last run stopped (Ctrl-C saves first).",
    )
    p.add_argument(
        "kind", choices=["prediction", "synthesis", "text", "recogniser"], help="which network"
    )
    p.add_argument(
        "--data",
        required=True,
        type=Path,
        help="prepared handwriting folder (prediction, synthesis, recogniser) or a text corpus: "
        "the Penn Treebank zip, an enwik8 file or any plain text (text)",
    )
    p.add_argument(
        "--out",
        required=True,
        type=cli_args.output_folder,
        help="folder for checkpoints (last.pt, best.pt)",
    )
    p.add_argument("--level", choices=["char", "word"], default="char", help="text: symbol level")
    p.add_argument(
        "--optimizer",
        choices=["rmsprop", "adam"],
        default="rmsprop",
        help="Graves's RMSProp or Adam",
    )
    p.add_argument(
        "--lr",
        type=cli_args.number(0, 1, above_low=True),
        help="learning rate, above 0 up to 1 (none: rmsprop 1e-4, adam 1e-3)",
    )
    p.add_argument("--batch-size", type=SIZE, default=32, help="sequences per step, 1-8192")
    p.add_argument("--epochs", type=COUNT, default=30, help="passes over the training data")
    p.add_argument("--max-steps", type=COUNT, help="stop after this many steps (smoke runs)")
    p.add_argument(
        "--hidden-size",
        type=SIZE,
        help="LSTM cells per layer, 1-8192 (none: 400; text 1000; recogniser 128)",
    )
    p.add_argument(
        "--layers",
        type=cli_args.integer(1, 16),
        help="LSTM layers, 1-16 (none: 3; text 1; recogniser 2)",
    )
    p.add_argument(
        "--mixtures",
        type=cli_args.integer(1, 200),
        help="handwriting: Gaussians in the output, 1-200 (none: 20)",
    )
    p.add_argument(
        "--window-gaussians",
        type=cli_args.integer(1, 100),
        help="synthesis: window Gaussians, 1-100 (none: 10)",
    )
    p.add_argument(
        "--embedding-size", type=SIZE, help="text: input embedding size, 1-8192 (none: 256)"
    )
    p.add_argument(
        "--bptt",
        type=cli_args.integer(1, 100_000),
        default=DEFAULT_BPTT,
        help="text: truncated backprop length, also used to evaluate",
    )
    p.add_argument(
        "--dropout",
        type=cli_args.number(0, 0.9),
        help="text: probability of dropping an embedded input or an LSTM output while training, "
        "0-0.9, kept in the model file (none: 0)",
    )
    p.add_argument(
        "--patience",
        type=COUNT,
        help="stop after this many epochs without a better validation result (early stopping; "
        "none: run all --epochs); best.pt is the best epoch either way",
    )
    p.add_argument(
        "--plateau-decay",
        type=cli_args.number(0, 1, above_low=True),
        help="multiply the learning rate by this (e.g. 0.5) after each epoch whose validation is "
        "not the best so far (none: the rate stays)",
    )
    p.add_argument(
        "--time-limit",
        type=cli_args.number(0, 1e6, above_low=True),
        help="minutes this run may train; then it saves last.pt and stops, and the same "
        "command carries on (none: no limit)",
    )
    p.add_argument(
        "--oversample-rare",
        type=cli_args.integer(1, 100),
        default=1,
        metavar="N",
        help="handwriting: show a line once more per rare character it holds (digits, capitals, "
        "j q x z, punctuation: each under 1 in 500 characters), up to N times an epoch "
        "(1: every line once)",
    )
    p.add_argument(
        "--augment",
        action="store_true",
        help="recogniser: train on lines randomly rescaled (+-15 %%), stretched (+-10 %%) and "
        "slanted (shear +-0.25), so that it reads hands it has not seen",
    )
    p.add_argument("--no-clip", action="store_true", help="turn off derivative clipping (100 / 10)")
    p.add_argument(
        "--checkpoint-every", type=COUNT, default=50, help="steps between last.pt writes"
    )
    p.add_argument(
        "--sample-every",
        type=cli_args.integer(0, 1_000_000_000),
        default=500,
        help="text: steps between samples (0: never)",
    )
    p.add_argument(
        "--seed", type=cli_args.seed, default=0, help="initial weights and batch order, 0-2**63-1"
    )
    p.add_argument("--device", type=cli_args.device, default="cpu", help="cpu, cuda or cuda:N")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument(
        "--init-from",
        type=cli_args.input_file,
        help="start a new run from the weights of this model file (.safetensors or .pt), e.g. "
        "to fine-tune the shipped model; the architecture comes from that file",
    )
    p.add_argument(
        "--bf16",
        action="store_true",
        help="LSTM matrix products in bfloat16 (window, output and loss stay float32): about "
        "a quarter faster on CPUs with AVX512-BF16 or AMX, and on recent GPUs; refused where "
        "the device has no bfloat16 LSTM",
    )


def _add_eval(sub) -> None:
    p = sub.add_parser(
        "eval",
        help="validation log-loss (handwriting), bits per character (text), CER, legibility",
        description="Evaluate a checkpoint: nats per sequence and SSE on handwriting (Graves "
        "Tables 3-4), bits per symbol on text (Table 1), optionally with dynamic evaluation, "
        "character error rate for a recogniser. `handsynth eval legibility --recogniser R.pt` "
        "instead compares the recogniser's CER on real validation lines and on their synthesis.",
    )
    p.add_argument(
        "checkpoint",
        type=Path,
        metavar="CHECKPOINT|legibility",
        help="a model file (a last.pt or best.pt from `handsynth train`, or a .safetensors from "
        "`handsynth export`), or the word legibility",
    )
    p.add_argument("--data", required=True, type=Path, help="prepared folder or text corpus")
    p.add_argument(
        "--split",
        default=None,
        help="valid (handwriting default) or test (text default; enwik8 has valid only, its "
        "default)",
    )
    p.add_argument("--dynamic", action="store_true", help="text: dynamic evaluation (§3)")
    p.add_argument("--batch-size", type=SIZE, default=32, help="handwriting: lines per batch")
    p.add_argument("--device", type=cli_args.device, default="cpu", help="cpu, cuda or cuda:N")
    p.add_argument(
        "--recogniser",
        type=cli_args.input_file,
        help="legibility: the recogniser checkpoint or model file (none: the shipped one)",
    )
    p.add_argument(
        "--model",
        type=cli_args.input_file,
        help="legibility: the synthesis model (none: the shipped one)",
    )
    p.add_argument(
        "--lines",
        type=cli_args.integer(1, 100_000),
        help=f"legibility: validation lines to read and write ({LEGIBILITY_DEFAULTS['lines']})",
    )
    p.add_argument(
        "--texts",
        type=cli_args.input_file,
        help="legibility: a file of novel sentences, one a line, to write instead of the "
        "validation texts (the real validation lines still give the scale)",
    )
    p.add_argument(
        "--bias",
        type=cli_args.number(*limits.BIAS),
        help=f"legibility: sampling bias of the synthesis, {cli_args.span(limits.BIAS)} "
        f"({LEGIBILITY_DEFAULTS['bias']})",
    )
    p.add_argument(
        "--seed",
        type=cli_args.seed,
        help=f"legibility: sampling seed ({LEGIBILITY_DEFAULTS['seed']})",
    )
    p.add_argument(
        "--candidates",
        type=cli_args.integer(*limits.CANDIDATES),
        help="legibility: draws of each line, of which the recogniser keeps the one it reads best "
        f"({LEGIBILITY_DEFAULTS['candidates']})",
    )
    p.add_argument(
        "--ocr",
        action="store_const",
        const=True,
        help="legibility: also read the real and the synthesized lines with Tesseract OCR, a "
        "reader that never saw IAM-OnDB (needs the tesseract program; about 0.2 s a line)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="handsynth",
        description="Handwriting synthesis with the recurrent networks of Graves (2013).",
        epilog=EXAMPLES,
    )
    parser.add_argument("--version", action="version", version=f"handsynth {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_prepare(sub)
    _add_train(sub)
    _add_eval(sub)
    cli_generate.add_write(sub)
    cli_generate.add_sample(sub)
    cli_generate.add_text(sub)
    cli_generate.add_export(sub)
    cli_generate.add_heatmap(sub)
    cli_serve.add_serve(sub)
    return parser


def _default_splits(iam_root: Path) -> Path:
    for candidate in (
        iam_root / "splits",
        Path(__file__).parents[2] / "shared/data/iamondb-splits",
    ):
        if (candidate / "trainset.txt").is_file():
            return candidate
    raise CliError(f"no split lists found under {iam_root / 'splits'}; pass --splits DIR")


def run_prepare(args) -> None:
    from handsynth.data.prepare import prepare_dataset

    if not (args.iam_root / "lineStrokes").is_dir():
        raise CliError(
            f"{args.iam_root}: no lineStrokes/ folder; point --iam-root at the unpacked data"
        )
    training_sets = None
    if args.train_sets is not None:
        training_sets = tuple(name.strip() for name in args.train_sets.split(",") if name.strip())
    report = prepare_dataset(
        args.iam_root,
        args.out,
        args.splits or _default_splits(args.iam_root),
        training_sets=training_sets,
        blacklist_path=args.blacklist,
        reduced_alphabet=args.reduced_alphabet,
        smooth=args.smooth,
        slant_correction=args.slant_correction,
        blacklist_splits=("train", "valid") if args.blacklist_valid else ("train",),
        progress=not args.quiet,
    )
    print(json.dumps(report, indent=2))


def _model_overrides(args) -> dict:
    names = {
        "hidden_size": args.hidden_size,
        "num_layers": args.layers,
        "num_mixtures": args.mixtures,
        "num_window_gaussians": args.window_gaussians,
        "embedding_size": args.embedding_size,
        "dropout": args.dropout,
    }
    allowed = {
        "prediction": {"hidden_size", "num_layers", "num_mixtures"},
        "synthesis": {"hidden_size", "num_layers", "num_mixtures", "num_window_gaussians"},
        "text": {"hidden_size", "num_layers", "embedding_size", "dropout"},
        "recogniser": {"hidden_size", "num_layers"},
    }[args.kind]
    given = {k: v for k, v in names.items() if v is not None}
    wrong = sorted(set(given) - allowed)
    if wrong:
        flags = ", ".join("--" + w.replace("num_", "").replace("_", "-") for w in wrong)
        raise CliError(f"{flags} does not apply to a {args.kind} network")
    return given


def _task(kind: str, data: Path, level: str, batch_size: int, bptt: int):
    from handsynth.train.tasks import HandwritingTask, RecognitionTask, TextTask

    if kind == "text":
        if data.is_dir():
            raise CliError(f"{data} is a folder; text training needs a corpus file (ptb.zip, text)")
        return TextTask(data, level, batch_size, bptt)
    if not data.is_dir():
        raise CliError(f"{data}: not a prepared folder; run `handsynth prepare` and pass its --out")
    if kind == "recogniser":
        return RecognitionTask(data)
    return HandwritingTask(kind, data)


def run_train(args) -> None:
    from handsynth.train.loop import TrainConfig, train
    from handsynth.train.precision import require_bf16

    model = _model_overrides(args)
    device_type = cli_args.check_device(args.device)
    if args.bf16:
        require_bf16(device_type)  # before the data is read
    if model and args.init_from is not None:
        raise CliError(
            "--init-from takes the architecture from its file; drop the size and --dropout flags"
        )
    default_lr = 1e-3 if args.optimizer == "adam" else 1e-4
    config = TrainConfig(
        out_dir=str(args.out),
        optimizer=args.optimizer,
        learning_rate=args.lr or default_lr,
        batch_size=args.batch_size,
        epochs=args.epochs,
        max_steps=args.max_steps,
        output_clip=None if args.no_clip else 100.0,
        lstm_clip=None if args.no_clip else 10.0,
        checkpoint_every=args.checkpoint_every,
        seed=args.seed,
        sample_every=args.sample_every,
        device=args.device,
        progress=not args.quiet,
        model=model,
        init_from=None if args.init_from is None else str(args.init_from),
        bf16=args.bf16,
        bptt=args.bptt,
        patience=args.patience,
        plateau_decay=args.plateau_decay,
        time_limit=None if args.time_limit is None else 60 * args.time_limit,
        max_repeats=args.oversample_rare,
        augment=args.augment,
    )
    if args.augment and args.kind != "recogniser":
        raise CliError("--augment applies to the recogniser")
    if args.oversample_rare > 1 and args.kind == "text":
        raise CliError("--oversample-rare applies to handwriting, not to a text network")
    task = _task(args.kind, args.data, args.level, config.batch_size, config.bptt)
    progress = train(task, config)
    print(
        json.dumps({"step": progress["step"], "epoch": progress["epoch"], "best": progress["best"]})
    )


def run_eval(args) -> None:
    from handsynth.eval.metrics import evaluate
    from handsynth.loaded import TextModel, load_model

    cli_args.check_device(args.device)
    if str(args.checkpoint) == "legibility":
        run_legibility(args)
        return
    given = [flag for flag in LEGIBILITY_DEFAULTS if getattr(args, flag) is not None]
    if given:
        flags = ", ".join("--" + flag for flag in given)
        raise CliError(f"{flags} apply only to `handsynth eval legibility`")
    model = load_model(args.checkpoint, device=args.device)
    if isinstance(model, TextModel) and args.data.is_dir():
        raise CliError(f"{args.data} is a folder; a text model is evaluated on a corpus file")
    if not isinstance(model, TextModel) and not args.data.is_dir():
        raise CliError(f"{args.data}: not a prepared folder; run `handsynth prepare` first")
    metrics = evaluate(model, args.data, args.split, args.batch_size, args.dynamic)
    print(json.dumps({"checkpoint": str(args.checkpoint), "kind": model.kind, **metrics}))


def run_legibility(args) -> None:
    from handsynth.eval.legibility import legibility
    from handsynth.loaded import load_model

    if args.split is not None or args.dynamic:
        raise CliError("--split and --dynamic do not apply to legibility (it reads valid lines)")
    if not args.data.is_dir():
        raise CliError(f"{args.data}: not a prepared folder; run `handsynth prepare`")
    options = {k: getattr(args, k) for k in LEGIBILITY_DEFAULTS if getattr(args, k) is not None}
    options = {**LEGIBILITY_DEFAULTS, **options}
    recogniser = load_model(args.recogniser, kind="recogniser", device=args.device)
    synthesis = load_model(args.model, kind="synthesis", device=args.device)
    texts = None
    if options["texts"] is not None:
        texts = _read_texts(options["texts"], synthesis.alphabet)
    result = legibility(
        recogniser,
        synthesis,
        args.data,
        num_lines=options["lines"],
        bias=options["bias"],
        seed=options["seed"],
        batch_size=args.batch_size,
        texts=texts,
        ocr=bool(options["ocr"]),
        candidates=options["candidates"],
    )
    print(json.dumps({"recogniser": str(recogniser.path), "model": str(synthesis.path), **result}))


MAX_TEXTS_BYTES = 1_000_000


def _read_texts(path: Path, alphabet) -> list[str]:
    """The non-empty lines of a sentences file, each stripped and checked against `alphabet`."""
    from handsynth.write.lines import TextError, check_characters

    if not path.is_file():
        raise CliError(f"--texts {path}: no such file")
    if path.stat().st_size > MAX_TEXTS_BYTES:
        raise CliError(f"--texts {path}: larger than {MAX_TEXTS_BYTES:,} bytes; use fewer lines")
    texts = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
    try:
        check_characters(texts, alphabet)
    except TextError as error:
        raise CliError(f"--texts {path}: {error}") from None
    texts = [text for text in texts if text]
    if not texts:
        raise CliError(f"--texts {path}: no sentences in it (one a line)")
    return texts


COMMANDS = {
    "prepare": run_prepare,
    "train": run_train,
    "eval": run_eval,
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
