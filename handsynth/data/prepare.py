"""Data preparation: IAM-OnDB tree -> train/valid offset arrays plus JSON metadata.

Output of `prepare_dataset` in `out_dir`:
    train.npz, valid.npz   offsets float32 (P, 3) raw (dx, dy, eos) of all lines concatenated,
                           starts int64 (L + 1,) so line i is offsets[starts[i]:starts[i + 1]],
                           line_ids and texts as fixed-width unicode arrays (L,)
    metadata.json          alphabet, normalisation statistics (train only), counts, options
Splits follow Graves (2013) and the data README: train = trainset + testset_t + testset_f (the sets
whose form lists are present), valid = testset_v.
"""

from __future__ import annotations

import io
import json
from collections import Counter
from pathlib import Path

import numpy as np
from tqdm import tqdm

from handsynth.atomic import write_atomically
from handsynth.data import validate
from handsynth.data.alphabet import Alphabet
from handsynth.data.iam import IamLine, iter_lines, load_blacklist, read_form_list
from handsynth.data.strokes import (
    correct_slant,
    normalisation_stats,
    points_to_offsets,
    remove_outlier_jumps,
    smooth_strokes,
    strokes_to_points,
)
from handsynth.errors import FieldError, UserError

FORMAT_VERSION = 1
SPLITS = ("train", "valid")
# The IAM-OnDB sets that may go into training; testset_v is always the validation set.
TRAINING_SETS = ("trainset", "testset_t", "testset_f")
VALIDATION_SET = "testset_v"
# Spike threshold in raw whiteboard units; letters are a few hundred units tall and 99% of the
# steps inside strokes are shorter than 62 units (see strokes.remove_outlier_jumps).
DEFAULT_MAX_JUMP = 100.0
# A line shorter than this after cleaning cannot be a line of handwriting (the shortest real
# lines have about 100 points).
DEFAULT_MIN_POINTS = 10


def line_offsets(
    line: IamLine, max_jump: float | None, smooth: bool, slant_correction: bool
) -> np.ndarray:
    """Cleaned offsets (T, 3) float32 of one line: spikes removed, optionally smoothed and
    deslanted."""
    points, eos = strokes_to_points(line.strokes)  # (T, 2), (T,)
    if max_jump is not None:
        points, eos = remove_outlier_jumps(points, eos, max_jump)
    if smooth:
        points = smooth_strokes(points, eos)
    if slant_correction:
        points = correct_slant(points, eos)
    return points_to_offsets(points, eos)


def save_split(path: Path, offsets: list[np.ndarray], line_ids: list[str], texts: list[str]):
    """Write one split's lines as `load_prepared` reads them, atomically."""
    lengths = [len(o) for o in offsets]
    starts = np.zeros(len(offsets) + 1, dtype=np.int64)
    starts[1:] = np.cumsum(lengths)
    buffer = io.BytesIO()
    np.savez(
        buffer,
        offsets=np.concatenate(offsets) if offsets else np.zeros((0, 3), dtype=np.float32),
        starts=starts,
        # np.str_ arrays are fixed-width '<U…', loadable with allow_pickle=False.
        line_ids=np.array(line_ids, dtype=str),
        texts=np.array(texts, dtype=str),
    )
    write_atomically(path, lambda f: f.write(buffer.getvalue()))


def available_training_sets(splits_dir: str | Path) -> tuple[str, ...]:
    """The training-side sets whose form lists `splits_dir` holds (trainset is required)."""
    splits_dir = Path(splits_dir)
    found = tuple(name for name in TRAINING_SETS if (splits_dir / f"{name}.txt").is_file())
    if "trainset" not in found or not (splits_dir / f"{VALIDATION_SET}.txt").is_file():
        raise UserError(
            f"{splits_dir} needs trainset.txt and {VALIDATION_SET}.txt (IAM-OnDB form lists)"
        )
    return found


def prepare_dataset(
    iam_root: str | Path,
    out_dir: str | Path,
    splits_dir: str | Path,
    blacklist_path: str | Path | None = None,
    training_sets: tuple[str, ...] | None = None,
    reduced_alphabet: bool = False,
    smooth: bool = False,
    slant_correction: bool = False,
    max_jump: float | None = DEFAULT_MAX_JUMP,
    min_points: int = DEFAULT_MIN_POINTS,
    blacklist_splits: tuple[str, ...] = ("train",),
    progress: bool = True,
) -> dict:
    """Read IAM-OnDB, clean every line and write train/valid arrays and metadata to `out_dir`.

    iam_root holds ascii/ and lineStrokes/; splits_dir holds the form lists `<set>.txt`.
    training_sets names the sets that go into train (default: each of TRAINING_SETS whose list is
    in splits_dir); testset_v is the validation set. blacklist_path is a .npy or text list of line
    ids to drop from the splits named in blacklist_splits: by default from training only, so that
    the validation set stays the whole official testset_v and its numbers compare with published
    ones. max_jump=None keeps spikes.
    Returns {"splits": {split: {"lines", "points", "forms"}}, "dropped": {reason: count},
    "alphabet_size": n, "normalisation": {"mean", "std"}}.
    """
    iam_root, out_dir, splits_dir = Path(iam_root), Path(out_dir), Path(splits_dir)
    if training_sets is None:
        training_sets = available_training_sets(splits_dir)
    unknown = sorted(set(training_sets) - set(TRAINING_SETS))
    if unknown:
        raise UserError(f"unknown training sets {unknown}; choose from {list(TRAINING_SETS)}")
    sets = {"train": tuple(training_sets), "valid": (VALIDATION_SET,)}
    for name in (*sets["train"], *sets["valid"]):
        if not (splits_dir / f"{name}.txt").is_file():
            raise FieldError(
                "splits_dir", f"{splits_dir / f'{name}.txt'}: no such form list; pass {{field}}"
            )
    blacklist = load_blacklist(blacklist_path) if blacklist_path is not None else set()
    dropped: Counter = Counter()
    splits = {}
    for split, set_names in sets.items():
        form_ids = [f for name in set_names for f in read_form_list(splits_dir / f"{name}.txt")]
        forms = tqdm(form_ids, desc=f"prepare {split}", unit="form", disable=not progress)
        offsets, line_ids, texts = [], [], []
        skipped = blacklist if split in blacklist_splits else set()
        for line in iter_lines(iam_root, forms, skipped, dropped):
            with np.errstate(over="ignore", invalid="ignore"):  # counted just below
                cleaned = line_offsets(line, max_jump, smooth, slant_correction)
            if not np.isfinite(cleaned).all():  # coordinates too far apart for float32
                dropped["coordinates beyond float32"] += 1
                continue
            if len(cleaned) < min_points:
                dropped["too few points"] += 1
                continue
            offsets.append(cleaned)
            line_ids.append(line.line_id)
            texts.append(line.text)
        splits[split] = {
            "offsets": offsets,
            "line_ids": line_ids,
            "texts": texts,
            "forms": form_ids,
        }

    if not splits["train"]["offsets"]:
        raise UserError(f"no usable training lines under {iam_root}; dropped: {dict(dropped)}")
    all_texts = splits["train"]["texts"] + splits["valid"]["texts"]
    alphabet = Alphabet.reduced() if reduced_alphabet else Alphabet.from_corpus(all_texts)
    mean, std = normalisation_stats(splits["train"]["offsets"])
    if not (np.isfinite(mean).all() and np.isfinite(std).all()):  # never written: train reads it
        raise UserError(f"the training lines under {iam_root} give no finite normalisation")

    out_dir.mkdir(parents=True, exist_ok=True)
    counts = {}
    for split, data in splits.items():
        save_split(out_dir / f"{split}.npz", data["offsets"], data["line_ids"], data["texts"])
        counts[split] = {
            "lines": len(data["offsets"]),
            "points": int(sum(len(o) for o in data["offsets"])),
            "forms": len({line_id[:-3] for line_id in data["line_ids"]}),
        }
    normalisation = {"mean": mean.tolist(), "std": std.tolist()}
    metadata = {
        "format_version": FORMAT_VERSION,
        "alphabet": alphabet.to_json(),
        "normalisation": normalisation,
        "splits": counts,
        "sets": {split: list(names) for split, names in sets.items()},
        "dropped": dict(sorted(dropped.items())),
        "options": {
            "blacklist": None if blacklist_path is None else str(blacklist_path),
            "blacklist_splits": list(blacklist_splits),
            "splits_dir": str(splits_dir),
            "reduced_alphabet": reduced_alphabet,
            "smooth": smooth,
            "slant_correction": slant_correction,
            "max_jump": max_jump,
            "min_points": min_points,
        },
        "source": str(iam_root),
    }
    write_atomically(
        out_dir / "metadata.json", lambda f: f.write(json.dumps(metadata, indent=2).encode())
    )
    return {
        "splits": counts,
        "sets": metadata["sets"],
        "dropped": metadata["dropped"],
        "alphabet_size": len(alphabet),
        "normalisation": normalisation,
    }


def _require(path: Path) -> Path:
    if not path.is_file():
        raise UserError(
            f"{path} not found; run `handsynth prepare` first to create the prepared data"
        )
    return path


def load_metadata(data_dir: str | Path) -> dict:
    """The metadata.json written by `prepare_dataset`."""
    return validate.metadata(_require(Path(data_dir) / "metadata.json"), FORMAT_VERSION)


def load_prepared(
    data_dir: str | Path, split: str
) -> tuple[list[np.ndarray], list[str], list[str]]:
    """Raw offsets (T_i, 3) float32, texts and line ids of one split ("train" or "valid")."""
    if split not in SPLITS:
        raise UserError(f"split must be one of {list(SPLITS)}, not {split!r}")
    path = _require(Path(data_dir) / f"{split}.npz")
    offsets, starts, texts, line_ids = validate.split_arrays(path)
    lines = [offsets[starts[i] : starts[i + 1]] for i in range(len(starts) - 1)]
    return lines, texts, line_ids
