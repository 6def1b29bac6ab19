"""`handsynth prepare`, `train` and `eval`: their flags, built from the library's defaults
(`TrainConfig`, the model configs), and the calls into `data/prepare.py`, `train/` and `eval/`."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import fields
from pathlib import Path

from handsynth import limits
from handsynth.cli import args as cli_args
from handsynth.cli.args import COUNT, SIZE, CliError
from handsynth.data.rare import RARE_WEIGHTINGS
from handsynth.nn.configs import CONFIGS
from handsynth.options import DEFAULT_BIAS, DEFAULT_CANDIDATES
from handsynth.train.config import LEARNING_RATES, TrainConfig

TRAIN = TrainConfig(out_dir="")  # the library's defaults, which the flags take
MODEL_FLAGS = {  # flag dest -> the model config field it sets
    "hidden_size": "hidden_size",
    "layers": "num_layers",
    "mixtures": "num_mixtures",
    "window_gaussians": "num_window_gaussians",
    "embedding_size": "embedding_size",
    "dropout": "dropout",
}


def _model_default(field: str) -> str:
    """'400; text 1000; recogniser 128': a model field's default, and where a kind differs."""
    shown, first = [], None
    for kind, config in CONFIGS.items():
        default = next((f.default for f in fields(config) if f.name == field), None)
        if default is None:
            continue
        if first is None:
            first = default
            shown.append(f"{default:g}")
        elif default != first:
            shown.append(f"{kind} {default:g}")
    return "; ".join(shown)


# `eval legibility` only: its flags default to None so that giving them elsewhere can be refused.
LEGIBILITY_DEFAULTS = {
    "recogniser": None,
    "model": None,
    "texts": None,
    "lines": 100,
    "bias": DEFAULT_BIAS,
    "seed": 0,
    "ocr": None,
    "candidates": DEFAULT_CANDIDATES,
    "style": None,
    "no_glyphs": None,
}


def add_prepare(sub) -> None:
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
        "testset_t.txt, testset_f.txt (none: IAM_ROOT/splits)",
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


def add_train(sub) -> None:
    p = sub.add_parser(
        "train",
        help="train a prediction, synthesis or text network, or the CTC recogniser",
        description="Train one of Graves's networks. Re-running with the same --out resumes "
        "exactly where the last run stopped (Ctrl-C saves first).",
    )
    p.add_argument("kind", choices=list(CONFIGS), help="which network")
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
        choices=list(LEARNING_RATES),
        default=TRAIN.optimizer,
        help="Graves's RMSProp or Adam",
    )
    rates = ", ".join(f"{name} {rate:g}" for name, rate in LEARNING_RATES.items())
    p.add_argument(
        "--lr",
        type=cli_args.number(0, 1, above_low=True),
        help=f"learning rate, above 0 up to 1 (none: {rates})",
    )
    p.add_argument(
        "--batch-size", type=SIZE, default=TRAIN.batch_size, help="sequences per step, 1-8192"
    )
    p.add_argument(
        "--epochs", type=COUNT, default=TRAIN.epochs, help="passes over the training data"
    )
    p.add_argument("--max-steps", type=COUNT, help="stop after this many steps (smoke runs)")
    p.add_argument(
        "--hidden-size",
        type=SIZE,
        help=f"LSTM cells per layer, 1-8192 (none: {_model_default('hidden_size')})",
    )
    p.add_argument(
        "--layers",
        type=cli_args.integer(1, 16),
        help=f"LSTM layers, 1-16 (none: {_model_default('num_layers')})",
    )
    p.add_argument(
        "--mixtures",
        type=cli_args.integer(1, 200),
        help="handwriting: Gaussians in the output, 1-200 "
        f"(none: {_model_default('num_mixtures')})",
    )
    p.add_argument(
        "--window-gaussians",
        type=cli_args.integer(1, 100),
        help=f"synthesis: window Gaussians, 1-100 (none: {_model_default('num_window_gaussians')})",
    )
    p.add_argument(
        "--embedding-size",
        type=SIZE,
        help=f"text: input embedding size, 1-8192 (none: {_model_default('embedding_size')})",
    )
    p.add_argument(
        "--bptt",
        type=cli_args.integer(1, 100_000),
        default=TRAIN.bptt,
        help="text: truncated backprop length, also used to evaluate",
    )
    p.add_argument(
        "--dropout",
        type=cli_args.number(0, 0.9),
        help="text: probability of dropping an embedded input or an LSTM output while training, "
        f"0-0.9, kept in the model file (none: {_model_default('dropout')})",
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
        default=TRAIN.max_repeats,
        metavar="N",
        help="handwriting: show a line once more per rare character it holds (digits, capitals, "
        "j q x z, punctuation: each under 1 in 500 characters), up to N times an epoch "
        "(1: every line once)",
    )
    p.add_argument(
        "--rare-weighting",
        choices=sorted(RARE_WEIGHTINGS),
        default=TRAIN.rare_weighting,
        help="how --oversample-rare counts a line's appearances: per-character, once more per "
        "rare character it holds; rarest, as often as its rarest character falls short of 1 in "
        "500 (a line with an 8, seen 39 times in IAM-OnDB, up to N times; one whose rarest "
        "letter is a k, once)",
    )
    p.add_argument(
        "--joined-lines",
        action="store_true",
        help="synthesis: also train on each two consecutive lines of one writer joined into one "
        "line, so that the network goes on in the hand of a style line it reads (priming)",
    )
    p.add_argument(
        "--augment",
        action="store_true",
        help="recogniser: train on lines randomly rescaled (+-15 %%), stretched (+-10 %%) and "
        "slanted (shear +-0.25), so that it reads hands it has not seen",
    )
    p.add_argument(
        "--splice",
        type=cli_args.input_file,
        metavar="BANK",
        help="recogniser: write a word of 1-5 real characters drawn from BANK (made by "
        "`scripts/make_glyph_bank.py --pool`) after half the lines, in each line's size and "
        "slant, so that it sees digits and capitals as often as letters",
    )
    clips = f"{TRAIN.output_clip:g} / {TRAIN.lstm_clip:g}"
    p.add_argument("--no-clip", action="store_true", help=f"turn off derivative clipping ({clips})")
    p.add_argument(
        "--checkpoint-every",
        type=COUNT,
        default=TRAIN.checkpoint_every,
        help="steps between last.pt writes",
    )
    p.add_argument(
        "--sample-every",
        type=cli_args.integer(0, 1_000_000_000),
        default=TRAIN.sample_every,
        help="text: steps between samples (0: never)",
    )
    p.add_argument(
        "--seed",
        type=cli_args.seed,
        default=TRAIN.seed,
        help="initial weights and batch order, 0-2**63-1",
    )
    p.add_argument(
        "--device", type=cli_args.device, default=TRAIN.device, help="cpu, cuda or cuda:N"
    )
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


def add_eval(sub) -> None:
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
        "--style",
        help="legibility: the hand every line is written in, as write --style takes it (none: "
        "the default hand, as write writes; 0: no style)",
    )
    p.add_argument(
        "--no-glyphs",
        action="store_const",
        const=True,
        help="legibility: let the network write every character, as write --no-glyphs does",
    )
    p.add_argument(
        "--ocr",
        action="store_const",
        const=True,
        help="legibility: also read the real and the synthesized lines with Tesseract OCR, a "
        "reader that never saw IAM-OnDB (needs the tesseract program; about 0.2 s a line)",
    )


def _default_splits(iam_root: Path) -> Path:
    candidate = iam_root / "splits"
    if (candidate / "trainset.txt").is_file():
        return candidate
    raise CliError(f"no split lists found under {candidate}; pass --splits DIR")


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
    """The model config fields given by flag; a flag that the kind's config lacks is refused."""
    given = {field: getattr(args, dest) for dest, field in MODEL_FLAGS.items()}
    given = {field: value for field, value in given.items() if value is not None}
    allowed = {f.name for f in fields(CONFIGS[args.kind])}
    wrong = [dest for dest, field in MODEL_FLAGS.items() if field in given and field not in allowed]
    if wrong:
        flags = ", ".join("--" + dest.replace("_", "-") for dest in wrong)
        raise CliError(f"{flags} does not apply to a {args.kind} network")
    return given


def _check_resume_flags(args, model: dict) -> None:
    """Before the data is read: size flags that differ from the network `last.pt` resumes are
    refused (the train loop checks the optimizer and the data's alphabet)."""
    last = args.out / "last.pt"
    if not model or not last.is_file():
        return
    from handsynth.nn.checkpoint import load_checkpoint

    saved = load_checkpoint(last)["config"]
    saved = saved if isinstance(saved, dict) else {}
    flags = {field: dest for dest, field in MODEL_FLAGS.items()}
    changed = [name for name, value in model.items() if saved.get(name) != value]
    if changed:
        given = ", ".join(f"--{flags[n].replace('_', '-')} {model[n]}" for n in changed)
        held = ", ".join(f"{n} {saved.get(n)}" for n in changed)
        raise CliError(
            f"{last} resumes a network with {held}, not {given}; a resumed run keeps its "
            "architecture: drop the size flags, or give another --out to start afresh"
        )


def run_train(args) -> None:
    from handsynth.train.loop import train, world_size
    from handsynth.train.precision import require_bf16
    from handsynth.train.tasks import make_task

    model = _model_overrides(args)
    device_type = cli_args.check_device(args.device)
    if args.bf16:
        require_bf16(device_type)  # before the data is read
    _check_resume_flags(args, model)
    if model and args.init_from is not None:
        raise CliError(
            "--init-from takes the architecture from its file; drop the size and --dropout flags"
        )
    config = TrainConfig(
        out_dir=str(args.out),
        optimizer=args.optimizer,
        learning_rate=args.lr or LEARNING_RATES[args.optimizer],
        batch_size=args.batch_size,
        epochs=args.epochs,
        max_steps=args.max_steps,
        output_clip=None if args.no_clip else TRAIN.output_clip,
        lstm_clip=None if args.no_clip else TRAIN.lstm_clip,
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
        rare_weighting=args.rare_weighting,
        joined_lines=args.joined_lines,
        augment=args.augment,
        splice=None if args.splice is None else str(args.splice),
    )
    if args.joined_lines and args.kind != "synthesis":
        raise CliError("--joined-lines applies to the synthesis network")
    if args.augment and args.kind != "recogniser":
        raise CliError("--augment applies to the recogniser")
    if args.splice is not None and args.kind != "recogniser":
        raise CliError("--splice applies to the recogniser")
    if args.oversample_rare > 1 and args.kind == "text":
        raise CliError("--oversample-rare applies to handwriting, not to a text network")
    if args.kind == "text" and args.data.is_dir():
        raise CliError(
            f"{args.data} is a folder; text training needs a corpus file (ptb.zip, text)"
        )
    if args.kind != "text" and not args.data.is_dir():
        raise CliError(
            f"{args.data}: not a prepared folder; run `handsynth prepare` and pass its --out"
        )
    task = make_task(args.kind, args.data, args.level, config.batch_size, config.bptt)
    progress = train(task, config)
    print(
        json.dumps({"step": progress["step"], "epoch": progress["epoch"], "best": progress["best"]})
    )
    if world_size() > 1:
        _leave_torchrun()


def _leave_torchrun() -> None:
    """End a torchrun worker once its checkpoints are written and its process group is closed,
    without the interpreter's exit: there gloo's threads are at times torn down while still
    joinable, and the worker aborts ("terminate called without an active exception", SIGABRT),
    failing a run that finished."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


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
        style=options["style"],
        glyphs=not options["no_glyphs"],
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
