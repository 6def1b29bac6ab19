"""The paper-size training plan for a lent GPU: one prepared command that trains, checkpoints and
measures, inside one command's time limit.

    # here, once: pack the prepared lines and the Penn Treebank into a compact bundle (~15 MB)
    python scripts/gpu_train.py pack --prepared RAW --ptb SHARED/text/ptb.zip --out gpu_bundle
    # on the GPU machine (the bundle travels with the working tree): four runs side by side
    python scripts/gpu_train.py run --bundle gpu_bundle --out "$OUT" --minutes 6.5

`run` trains four models at once on the one GPU, each in its own process (every one of them is
bound by kernel launches, not by the GPU's arithmetic, so they share it well):
- synthesis-400: the synthesis network at the paper's size (3x400, K=20, 10 window Gaussians) from
  scratch on the lines as recorded (trainset + testset_t + testset_f), validated on testset_v as
  recorded: the number beside Graves's -1,096.9 nats per line;
- synthesis-256: the shipped 3x256 model trained on from its weights on the smoothed lines with the
  lines that hold rare characters oversampled (digits, capitals: `train --oversample-rare`); each
  epoch is exported so that legibility, not log-loss, picks the one to ship;
- ptb-char: the shipped 1x1000 Penn Treebank character model trained on to its best validation
  (the rate halved after each epoch without a better one); test bits per character, static and
  dynamic, beside Graves's 1.32 / 1.29 (Table 1);
- ptb-word: 1x1000 on Penn Treebank words from scratch, measured in bits per character;
- recogniser (when --jobs names it): the shipped recogniser trained on with augmentation, rare
  lines oversampled and, where `pack --splice` gave a bank, cut characters spliced in; each epoch
  is exported, as its validation CER alone does not say which reads digits and capitals best.

Each run stops at its time limit with its checkpoint saved (the same command resumes it, given the
work folder), and writes under --out: the exported float16 weights, a JSON of what it measured and
its log. `--tiny` shrinks every model and the data so that the suite dry-runs the whole plan on the
CPU in seconds (tests/test_gpu_train.py).

The GPU machine has torch, numpy, safetensors, lxml, numba, tqdm and matplotlib but not svgwrite:
nothing here imports the rendering modules.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tarfile
import time
import zipfile
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict
from pathlib import Path

import numpy as np

from handsynth.data.prepare import load_metadata, load_prepared, save_split
from handsynth.data.strokes import normalisation_stats, offsets_to_points, points_to_offsets

JOBS = ("synthesis-400", "synthesis-256", "ptb-char", "ptb-word", "recogniser")
EPOCHS_TAR = "epochs.tar"  # under --out: every epoch exported, as NAME/epoch-N.safetensors
SPLICE_BANK = "splice.npz"  # in the bundle and the work folder, where pack was given one
FIRST_PLAN = JOBS[:4]  # what `run` trains unless --jobs names others
TINY_EPOCHS = 2  # the dry run ends by work done, not by the clock, however busy the machine


# ---------------------------------------------------------------------------------------------
# The bundle: pen offsets as int16 (IAM-OnDB records integer whiteboard units, and prepare's
# cleaning keeps them so), compressed; the smoothed lines are rebuilt from them on the GPU machine.


def pack(prepared: Path, ptb: Path, out: Path, splice: Path | None = None) -> dict:
    """Write out/lines.npz, out/metadata.json and out/ptb.zip from a `prepare` folder made without
    --smooth (the lines as recorded), and out/splice.npz from `splice`, a bank of cut characters
    that the recogniser job writes after half its lines (`train --splice`)."""
    metadata = load_metadata(prepared)
    if metadata["options"]["smooth"] or metadata["options"]["slant_correction"]:
        raise SystemExit(f"{prepared}: pack the lines as recorded (prepare without --smooth)")
    out.mkdir(parents=True, exist_ok=True)
    arrays = {}
    for split in ("train", "valid"):
        lines, texts, line_ids = load_prepared(prepared, split)
        offsets = np.concatenate(lines)  # (P, 3)
        pen = offsets[:, :2]
        if not np.array_equal(pen, np.round(pen)) or np.abs(pen).max() > np.iinfo(np.int16).max:
            raise SystemExit(f"{prepared}: {split} offsets are not whole whiteboard units")
        arrays[f"{split}_pen"] = pen.astype(np.int16)
        arrays[f"{split}_eos"] = offsets[:, 2].astype(np.uint8)
        arrays[f"{split}_lengths"] = np.array([len(line) for line in lines], dtype=np.int32)
        arrays[f"{split}_texts"] = np.array(texts, dtype=str)
        arrays[f"{split}_line_ids"] = np.array(line_ids, dtype=str)
    np.savez_compressed(out / "lines.npz", **arrays)
    shutil.copyfile(prepared / "metadata.json", out / "metadata.json")
    shutil.copyfile(ptb, out / "ptb.zip")
    if splice is not None:
        shutil.copyfile(splice, out / SPLICE_BANK)
    return {p.name: p.stat().st_size for p in sorted(out.iterdir())}


def _smooth_line(offsets: np.ndarray) -> np.ndarray:
    from handsynth.data.strokes import smooth_strokes

    points, eos = offsets_to_points(offsets)
    return points_to_offsets(smooth_strokes(points, eos), eos)


def unpack(bundle: Path, work: Path, max_lines: int | None, workers: int) -> dict[str, Path]:
    """Rebuild two `prepare` folders from the bundle: "raw" (as recorded) and "smooth" (what
    `prepare --smooth` writes: the same lines smoothed inside each stroke). `max_lines` keeps only
    the shortest lines of each split (the dry run)."""
    metadata = json.loads((bundle / "metadata.json").read_text())
    folders = {"raw": work / "prepared-raw", "smooth": work / "prepared-smooth"}
    smoothed_train = None
    with np.load(bundle / "lines.npz", allow_pickle=False) as data:
        for split in ("train", "valid"):
            lengths = data[f"{split}_lengths"]
            offsets = np.concatenate(
                [data[f"{split}_pen"], data[f"{split}_eos"][:, None]], axis=1
            ).astype(np.float32)  # (P, 3)
            lines = np.split(offsets, np.cumsum(lengths)[:-1])
            keep = np.arange(len(lines)) if max_lines is None else np.argsort(lengths)[:max_lines]
            lines = [lines[i] for i in keep]
            texts = data[f"{split}_texts"][keep]
            line_ids = data[f"{split}_line_ids"][keep]
            with ProcessPoolExecutor(workers) as pool:
                smoothed = list(pool.map(_smooth_line, lines, chunksize=64))
            for folder, split_lines in ((folders["raw"], lines), (folders["smooth"], smoothed)):
                folder.mkdir(parents=True, exist_ok=True)
                save_split(folder / f"{split}.npz", split_lines, line_ids, texts)
            if split == "train":
                smoothed_train = smoothed
    mean, std = normalisation_stats(smoothed_train)
    smooth_metadata = {
        **metadata,
        "normalisation": {"mean": mean.tolist(), "std": std.tolist()},
        "options": {**metadata["options"], "smooth": True},
    }
    (folders["raw"] / "metadata.json").write_text(json.dumps(metadata))
    (folders["smooth"] / "metadata.json").write_text(json.dumps(smooth_metadata))
    return folders


def shrink_ptb(source: Path, target: Path, characters: int) -> None:
    """A toy ptb.zip for the dry run: the first `characters` of each training file, as every
    split (so that no valid or test word is missing from the training vocabulary)."""
    with zipfile.ZipFile(source) as archive, zipfile.ZipFile(target, "w") as toy:
        for stem in ("ptb", "ptb.char"):
            text = archive.read(_member(archive, f"{stem}.train.txt")).decode()[:characters]
            text = text[: text.rfind("\n") + 1]
            for split in ("train", "valid", "test"):
                toy.writestr(f"{stem}.{split}.txt", text)


def _member(archive: zipfile.ZipFile, file_name: str) -> str:
    return next(name for name in archive.namelist() if Path(name).name == file_name)


# ---------------------------------------------------------------------------------------------
# The four jobs.


def _job_settings(name: str, tiny: bool) -> dict:
    """Model and training settings of one job; `tiny` shrinks the models for the dry run."""
    size = lambda full, small: small if tiny else full  # noqa: E731 - one-line chooser
    settings = {
        "synthesis-400": {
            "data": "raw",
            "model": {"hidden_size": size(400, 8), "num_layers": 3},
            "train": {
                "optimizer": "adam",
                "learning_rate": 1e-3,
                "batch_size": size(64, 4),
                "seed": 0,
                "plateau_decay": 0.5,
            },
        },
        "synthesis-256": {
            "data": "smooth",
            "init": "synthesis",
            "model": {"hidden_size": size(None, 8), "num_layers": size(None, 2)},
            "train": {
                "optimizer": "adam",
                "learning_rate": 3e-4,
                "batch_size": size(64, 4),
                "seed": 6,
                "max_repeats": 4,
            },
        },
        "ptb-char": {
            "level": "char",
            "init": "text",
            "model": {
                "hidden_size": size(None, 16),
                "num_layers": size(None, 1),
                "embedding_size": size(None, 8),
                "dropout": size(None, 0.25),
            },
            "train": {
                "optimizer": "adam",
                "learning_rate": 1e-3,
                "batch_size": size(32, 4),
                "bptt": size(100, 20),
                "seed": 1,
                "plateau_decay": 0.5,
                "patience": 4,
            },
        },
        "recogniser": {
            "data": "smooth",
            "init": "recogniser",
            "model": {"hidden_size": size(None, 8), "num_layers": size(None, 1)},
            "train": {
                "optimizer": "adam",
                "learning_rate": 3e-4,
                "batch_size": size(32, 4),
                "seed": 2,
                "max_repeats": 4,
                "augment": True,
                "plateau_decay": 0.5,
            },
        },
        "ptb-word": {
            "level": "word",
            "model": {
                "hidden_size": size(1000, 16),
                "num_layers": 1,
                "embedding_size": size(1000, 8),
                "dropout": 0.5,
            },
            "train": {
                "optimizer": "adam",
                "learning_rate": 1e-3,
                "batch_size": size(20, 4),
                "bptt": size(35, 10),
                "seed": 0,
                "plateau_decay": 0.5,
                "patience": 3,
            },
        },
    }[name]
    settings["model"] = {k: v for k, v in settings["model"].items() if v is not None}
    if tiny:
        settings.pop("init", None)  # the shipped weights fit neither the fixture nor the toy corpus
    return settings


def run_job(
    name: str, work: Path, out: Path, seconds: float, device: str, tiny: bool, init: str | None
) -> dict:
    """Train one job for `seconds`, export its weights to `out` and measure it; returns (and writes
    to out/NAME.json) what it measured. `init`: a model file to start from instead of the job's
    own start (the shipped weights, or fresh ones)."""
    import torch

    from handsynth.nn.weights import shipped_path
    from handsynth.train.loop import TrainConfig, train

    settings = _job_settings(name, tiny)
    run_dir = work / "runs" / name
    report = {"job": name, "device": device, "settings": settings}
    if device.startswith("cuda"):
        report["gpu"] = torch.cuda.get_device_name(device)
    if init is None and "init" in settings:
        init = str(shipped_path(settings["init"]))
    config = TrainConfig(
        out_dir=str(run_dir),
        epochs=TINY_EPOCHS if tiny else 1000,
        checkpoint_every=50,
        sample_every=0,
        device=device,
        progress=False,
        model=settings["model"] if init is None else {},
        init_from=init,
        **settings["train"],
    )
    if name == "recogniser" and (work / SPLICE_BANK).is_file():
        config.splice = str(work / SPLICE_BANK)
    log = _logger(out / f"{name}.log")
    task = _task(name, settings, work)
    started = time.monotonic()
    if name.startswith("synthesis") or name == "recogniser":
        epochs = _train_by_epoch(task, config, seconds, out, name, log)
        report["exports"] = epochs
    else:
        config.time_limit = seconds
        train(task, config, log=log)
    report["train_seconds"] = round(time.monotonic() - started, 1)
    report["progress"] = _progress(run_dir)
    _write_json(out / f"{name}.json", report)
    report["test"] = _measure(name, task, run_dir, out, device, log)
    report["train_config"] = asdict(config)
    _write_json(out / f"{name}.json", report)
    return report


def _task(name: str, settings: dict, work: Path):
    from handsynth.train.tasks import HandwritingTask, RecognitionTask, TextTask

    if name == "recogniser":
        return RecognitionTask(work / f"prepared-{settings['data']}")
    if name.startswith("synthesis"):
        return HandwritingTask("synthesis", work / f"prepared-{settings['data']}")
    train = settings["train"]
    return TextTask(work / "ptb.zip", settings["level"], train["batch_size"], train["bptt"])


def _train_by_epoch(task, config, seconds: float, out: Path, name: str, log) -> list[str]:
    """Train one epoch at a time until the time or `config.epochs` is spent, exporting each
    epoch's weights (and the last, partial one) to out/NAME-epochs/epoch-N.safetensors."""
    from handsynth.nn.checkpoint import load_checkpoint
    from handsynth.nn.weights import export_weights
    from handsynth.train.loop import train

    deadline = time.monotonic() + seconds
    folder = out / f"{name}-epochs"
    folder.mkdir(parents=True, exist_ok=True)
    exported = []
    epoch, epochs = 0, config.epochs
    while epoch < epochs and time.monotonic() < deadline:
        config.epochs = epoch + 1
        config.time_limit = deadline - time.monotonic()
        progress = train(task, config, log=log)
        finished = progress["epoch"] == epoch + 1
        payload = load_checkpoint(Path(config.out_dir) / "last.pt")
        path = folder / (f"epoch-{epoch + 1}" if finished else f"step-{progress['step']}")
        export_weights(payload, path.with_suffix(".safetensors"))
        exported.append(path.with_suffix(".safetensors").name)
        if not finished:
            break
        epoch += 1
    return exported


def _measure(name: str, task, run_dir: Path, out: Path, device: str, log) -> dict:
    """Export best.pt and evaluate it: the validation lines (synthesis) or the test split, static
    and dynamic (text)."""
    from handsynth.nn.checkpoint import load_checkpoint, model_from_checkpoint
    from handsynth.nn.weights import export_weights

    best = run_dir / "best.pt"
    if not best.exists():
        return {"error": "no epoch finished: no best.pt"}
    payload = load_checkpoint(best)
    if name != "ptb-word":  # 28M weights: too large to ship; its numbers are what it is for
        export_weights(payload, out / f"{name}.safetensors")
    model = model_from_checkpoint(payload).to(device)
    if name == "recogniser" or name.startswith("synthesis"):
        return {"valid": task.evaluate(model.eval(), device=device)}
    results = {}
    for dynamic in (False, True):
        if dynamic:
            model = model_from_checkpoint(payload).to(device)
        key = "test_dynamic" if dynamic else "test"
        results[key] = task.evaluate(model, "test", device=device, dynamic=dynamic)
        log(f"{key}: {results[key]}")
    return results


def _progress(run_dir: Path) -> dict:
    from handsynth.nn.checkpoint import load_checkpoint

    last = run_dir / "last.pt"
    return load_checkpoint(last)["progress"] if last.exists() else {}


def _logger(path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)

    def log(message: str) -> None:
        line = f"{time.strftime('%H:%M:%S')} {message}"
        print(line, flush=True)
        with path.open("a") as f:
            f.write(line + "\n")

    return log


def _write_json(path: Path, value: dict) -> None:
    path.write_text(json.dumps(value, indent=1, default=str))


# ---------------------------------------------------------------------------------------------
# The whole plan: unpack, the four jobs side by side, then what comes back under --out.


def run_plan(
    bundle: Path,
    out: Path,
    work: Path,
    minutes: float,
    device: str,
    tiny: bool,
    jobs: tuple[str, ...] = FIRST_PLAN,
    inits: dict[str, Path] | None = None,
    finish_seconds: float = 150,
) -> dict:
    """Train `jobs` side by side for `minutes`, each from its own start or from `inits[job]`;
    `finish_seconds` bounds the exports and test evaluations after the training."""
    inits = inits or {}
    started = time.monotonic()
    out.mkdir(parents=True, exist_ok=True)
    work.mkdir(parents=True, exist_ok=True)
    if not (work / "prepared-smooth" / "metadata.json").exists():
        unpack(bundle, work, max_lines=12 if tiny else None, workers=os.cpu_count() or 1)
    if tiny:
        shrink_ptb(bundle / "ptb.zip", work / "ptb.zip", characters=3000)
    else:
        shutil.copyfile(bundle / "ptb.zip", work / "ptb.zip")
    if (bundle / SPLICE_BANK).is_file():
        shutil.copyfile(bundle / SPLICE_BANK, work / SPLICE_BANK)
    seconds = max(1.0, minutes * 60 - (time.monotonic() - started))
    jobs_out = work / "out"
    processes = {}
    for name in jobs:
        command = [
            sys.executable,
            __file__,
            "job",
            name,
            "--work",
            str(work),
            "--out",
            str(jobs_out),
            "--seconds",
            str(seconds),
            "--device",
            device,
        ]
        if tiny:
            command.append("--tiny")
        if name in inits:
            command += ["--init", str(Path(inits[name]).resolve())]
        env = {**os.environ, "OMP_NUM_THREADS": "2", "PYTHONUNBUFFERED": "1"}
        with (work / f"{name}.err").open("w") as errors:
            processes[name] = subprocess.Popen(
                command, env=env, stdout=subprocess.DEVNULL, stderr=errors
            )
    deadline = time.monotonic() + seconds + finish_seconds
    summary = {"minutes": minutes, "device": device, "tiny": tiny, "jobs": {}}
    for name, process in processes.items():
        try:
            code = process.wait(timeout=max(1.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.terminate()
            code = f"stopped after {seconds + finish_seconds:.0f} s"
        report_path = jobs_out / f"{name}.json"
        report = json.loads(report_path.read_text()) if report_path.exists() else {}
        report["exit"] = code
        report["stderr_tail"] = (work / f"{name}.err").read_text()[-2000:]
        summary["jobs"][name] = report
    summary["seconds"] = round(time.monotonic() - started, 1)
    _collect(jobs_out, out, summary, jobs)
    return summary


def _collect(jobs_out: Path, out: Path, summary: dict, jobs: tuple[str, ...]) -> None:
    """What comes back (at most 8 files): results.json, the logs in one file, the exported
    weights, and every epoch the synthesis and recogniser jobs exported in one tar (NAME/FILE)."""
    _write_json(out / "results.json", summary)
    with (out / "logs.txt").open("w") as logs:
        for name in jobs:
            path = jobs_out / f"{name}.log"
            if path.exists():
                logs.write(f"=== {name}\n{path.read_text()}")
    exported = []
    for name in jobs:
        weights = jobs_out / f"{name}.safetensors"
        if weights.exists():
            shutil.copyfile(weights, out / weights.name)
        epochs = jobs_out / f"{name}-epochs"
        if epochs.is_dir():
            exported += [(name, path) for path in sorted(epochs.iterdir())]
    if exported:
        with tarfile.open(out / EPOCHS_TAR, "w") as tar:
            for name, path in exported:
                tar.add(path, arcname=f"{name}/{path.name}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("pack", help="bundle prepared lines and the Penn Treebank for the GPU")
    p.add_argument("--prepared", type=Path, required=True, help="`prepare` output, not smoothed")
    p.add_argument("--ptb", type=Path, required=True, help="ptb.zip")
    p.add_argument("--out", type=Path, required=True, help="bundle folder")
    p.add_argument(
        "--splice",
        type=Path,
        help="a bank of cut characters (make_glyph_bank.py --pool) for the recogniser to splice",
    )
    p = sub.add_parser("run", help="train the four jobs side by side")
    p.add_argument("--bundle", type=Path, required=True, help="folder written by pack")
    p.add_argument("--out", type=Path, required=True, help="what comes back ($OUT)")
    p.add_argument("--work", type=Path, default=Path("/tmp/gpu-train"), help="scratch folder")
    p.add_argument("--minutes", type=float, default=6.5, help="training time of every job")
    p.add_argument("--device", default="cuda", help="cuda, or cpu for the dry run")
    p.add_argument("--tiny", action="store_true", help="toy sizes: the dry run")
    p.add_argument(
        "--jobs",
        default=",".join(FIRST_PLAN),
        help=f"comma-separated, from {', '.join(JOBS)} (default: the first four)",
    )
    p.add_argument(
        "--init",
        action="append",
        default=[],
        metavar="JOB=FILE",
        help="start JOB from this model file (e.g. the last run's export) instead of its own start",
    )
    p.add_argument(
        "--finish-seconds",
        type=float,
        default=150,
        help="time after the training for exports and test evaluations, then jobs are stopped",
    )
    p = sub.add_parser("job", help="one job (run starts these)")
    p.add_argument("name", choices=JOBS)
    p.add_argument("--work", type=Path, required=True)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--seconds", type=float, required=True)
    p.add_argument("--device", default="cuda")
    p.add_argument("--tiny", action="store_true")
    p.add_argument("--init", help="model file to start from")
    args = parser.parse_args(argv)
    if args.command == "pack":
        print(json.dumps(pack(args.prepared, args.ptb, args.out, args.splice)))
    elif args.command == "run":
        jobs = tuple(args.jobs.split(","))
        unknown = sorted(set(jobs) - set(JOBS))
        if unknown:
            parser.error(f"--jobs: unknown {unknown}; choose from {list(JOBS)}")
        inits = dict(item.split("=", 1) for item in args.init)
        for name, path in inits.items():
            if name not in jobs or not Path(path).is_file():
                parser.error(f"--init {name}={path}: not a job of this run, or no such file")
        summary = run_plan(
            args.bundle,
            args.out,
            args.work,
            args.minutes,
            args.device,
            args.tiny,
            jobs,
            inits,
            args.finish_seconds,
        )
        print(json.dumps(_short(summary), indent=1))
    else:
        run_job(args.name, args.work, args.out, args.seconds, args.device, args.tiny, args.init)


def _short(summary: dict) -> dict:
    """The numbers that matter, for the end of the command's output."""
    short = {}
    for name, report in summary["jobs"].items():
        best = report.get("progress", {}).get("best") or {}
        short[name] = {
            "exit": report.get("exit"),
            "step": report.get("progress", {}).get("step"),
            "epoch": report.get("progress", {}).get("epoch"),
            "best": {
                k: best[k]
                for k in best
                if k in ("epoch", "nll_per_sequence", "bits_per_character", "cer")
            },
            "test": {
                k: v.get("bits_per_character", v.get("nll_per_sequence"))
                for k, v in report.get("test", {}).items()
                if isinstance(v, dict)
            },
        }
    return short


if __name__ == "__main__":
    main()
