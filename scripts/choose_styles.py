"""Choose the shipped styles among real IAM-OnDB lines by measurement, and write styles.npz.

A style is a line of real handwriting that primes every line of a page (Graves §5.5). Candidates
are clean lines of a prepared split, one per form (one writer each): lines of MIN..MAX characters
that the recogniser reads almost perfectly, drawn at random, half of them joined-up hands. Each
candidate primes the writing of the same texts (the practical set), which the recogniser reads,
and of docs/letter.txt, whose page is scored for consistency against the real pages of the
held-out writers (testset_v, `eval.hand`). A style is kept when its lines read within
LEGIBLE_FACTOR of the unprimed default; among those, `--choose` styles are picked one at a time,
each the kept candidate farthest in hand features from those already picked, starting from the
most legible of those whose letter is more consistent than ONE_HAND_SHARE of real pages (style 1,
the default hand), with at least MIN_CURSIVE joined-up hands (few pen lifts per letter). One JSON
line per candidate goes to stdout, the choice last.

    python scripts/choose_styles.py --data /tmp/prep/smooth --texts /tmp/practical.txt \
        --candidates 40 --lines 40 --choose 12 --out handsynth/weights/styles.npz
    # or measure in parallel runs, then choose from what they printed:
    python scripts/choose_styles.py ... --seed 1 > a.jsonl &
    python scripts/choose_styles.py ... --seed 2 --no-default > b.jsonl
    python scripts/choose_styles.py --data ... --results a.jsonl b.jsonl --out styles.npz
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

import handsynth
from handsynth.atomic import write_atomically
from handsynth.data.line_pairs import form_of
from handsynth.data.prepare import load_prepared
from handsynth.eval.hand import line_features, page_score, real_pages
from handsynth.nn.ctc import character_error_rate
from handsynth.options import WriteOptions
from handsynth.write.lines import write_lines

MIN_CHARACTERS, MAX_CHARACTERS = 25, 50  # a style line long enough to show a hand
CLEAN_READING = 0.05  # the recogniser's CER on a candidate's own line
LEGIBLE_FACTOR = 1.2  # a style's lines read within this factor of the default's CER
CURSIVE_LIFTS = 0.5  # at most this many pen lifts per letter: a joined-up hand (the tenth
# of IAM-OnDB validation lines with the fewest lifts)
MIN_CURSIVE = 2
WRITE_SEED = 0  # every candidate writes with the same noise, as the default does
ONE_HAND_SHARE = 0.75  # style 1 writes a letter more consistent than this share of real pages
SPLITS = ("valid", "train")  # the prepared splits candidates are taken from
LETTER = Path(__file__).resolve().parents[1] / "docs" / "letter.txt"


def candidate_lines(
    data: Path,
    split: str,
    count: int,
    reader,
    seed: int,
    sizes: tuple[int, int],
    skip: set[str],
    cursive_only: bool = False,
) -> list[dict]:
    """Up to `count` clean lines of different forms, drawn at random (seeded), half of them (or
    all, `cursive_only`) joined-up hands (CURSIVE_LIFTS) where there are so many, since most
    hands print."""
    offsets, texts, line_ids = load_prepared(data, split)
    by_form: dict[str, dict] = {}
    for raw, text, line_id in zip(offsets, texts, line_ids, strict=True):
        features = line_features(raw, text)
        if features is None or line_id in skip or not sizes[0] <= len(text) <= sizes[1]:
            continue
        by_form.setdefault(
            form_of(line_id), {"id": line_id, "raw": raw, "text": text, "f": features}
        )
    lines = list(by_form.values())
    readings = reader.read([line["raw"] for line in lines])
    lines = [
        line
        for line, reading in zip(lines, readings, strict=True)
        if character_error_rate([reading], [reader.alphabet.spell(line["text"])]) <= CLEAN_READING
    ]
    rng = np.random.default_rng(seed)
    cursive = [i for i, line in enumerate(lines) if line["f"][0] <= CURSIVE_LIFTS]
    printed = [i for i, line in enumerate(lines) if line["f"][0] > CURSIVE_LIFTS]
    picked = list(rng.permutation(cursive)[: count if cursive_only else count // 2])
    picked += list(rng.permutation(printed)[: count - len(picked)])
    return [lines[i] for i in picked]


def lines_by_id(data: Path, ids: set[str]) -> dict[str, dict]:
    """The lines of any split whose ids are in `ids`, by id, in the data's order, with their
    hand features."""
    found = {}
    for split in SPLITS:
        for raw, text, line_id in zip(*load_prepared(data, split), strict=True):
            if line_id in ids:
                found[line_id] = {"id": line_id, "raw": raw, "text": text}
    for line in found.values():
        line["f"] = line_features(line["raw"], line["text"])
    return found


def named_lines(data: Path, ids: list[str]) -> list[dict]:
    """The lines with these ids, from any split, in the order given."""
    found = lines_by_id(data, set(ids))
    missing = [i for i in ids if i not in found]
    if missing:
        raise SystemExit(f"no line {', '.join(missing)} in {data}")
    return [found[i] for i in ids]


def farthest_points(
    points: np.ndarray, count: int, seed: int, first: int | None = None
) -> list[int]:
    """Indices of `count` rows of points (N, F), each the farthest from those picked before it;
    the first is `first`, or a seeded random row."""
    rng = np.random.default_rng(seed)
    picked = [int(rng.integers(len(points))) if first is None else first]
    distance = np.linalg.norm(points - points[picked[0]], axis=1)  # (N,) to the nearest picked
    while len(picked) < min(count, len(points)):
        picked.append(int(distance.argmax()))
        distance = np.minimum(distance, np.linalg.norm(points - points[picked[-1]], axis=1))
    return picked


def written(model, texts: list[str], prime, seed: int) -> list[np.ndarray]:
    """Each of `texts` as one line written at defaults, primed with `prime` (None: unprimed)."""
    lines = write_lines(
        model.synthesis_stepping(),
        model.alphabet,
        model.normalisation,
        texts,
        WriteOptions(seed=seed, wrap=0),
        prime,
        reader=model.line_reader,
    )
    return [line.offsets for line in lines]


def measure(model, reader, texts: list[str], letter: list[str], prime, seed, real, population):
    """The recogniser's CER on `texts` and the one-handedness of the `letter` lines, written with
    `prime`: the letter's page score and the share of the `real` pages' scores (R,) it is more
    consistent than."""
    lines = written(model, texts, prime, seed)
    cer = character_error_rate(reader.read(lines), [reader.alphabet.spell(t) for t in texts])
    page = written(model, letter, prime, seed)
    features = [line_features(o, t) for o, t in zip(page, letter, strict=True)]
    score = page_score([f for f in features if f is not None], population)
    return {
        "cer": round(cer, 4),
        "letter_score": round(score, 3),
        "beats_real_pages": round(float(np.mean(real > score)), 3),
    }


def choose(results: list[dict], default_cer: float, count: int) -> list[dict]:
    """The chosen styles among measured candidates (see the module doc)."""
    legible = [r for r in results if r["cer"] <= LEGIBLE_FACTOR * default_cer]
    legible.sort(key=lambda r: r["cer"])
    if not legible:
        return []
    one_hand = [i for i, r in enumerate(legible) if r["beats_real_pages"] >= ONE_HAND_SHARE]
    features = np.stack([r["features"] for r in legible])
    features = features / np.maximum(features.std(axis=0), 1e-9)
    first = one_hand[0] if one_hand else 0  # style 1, the default hand
    order = farthest_points(features, len(legible), seed=0, first=first)
    cursive = [i for i in order if legible[i]["cursive"]][:MIN_CURSIVE]
    rest = [i for i in order if i not in cursive]
    chosen = sorted(cursive + rest[: max(count - len(cursive), 0)], key=order.index)
    return [legible[i] for i in chosen]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="a `handsynth prepare` folder")
    parser.add_argument(
        "--split",
        default="valid",
        choices=SPLITS,
        help="the split to take candidates from: valid (writers the network never saw) or train",
    )
    parser.add_argument("--texts", type=Path, help="texts to write, one a line")
    parser.add_argument("--model", help="synthesis model file (none: the shipped one)")
    parser.add_argument("--lines", type=int, default=40, help="texts written per candidate")
    parser.add_argument("--candidates", type=int, default=40, help="real lines to try")
    parser.add_argument("--choose", type=int, default=12, help="styles to keep")
    parser.add_argument("--seed", type=int, default=0, help="the candidates drawn")
    parser.add_argument(
        "--characters",
        type=int,
        nargs=2,
        default=[MIN_CHARACTERS, MAX_CHARACTERS],
        metavar=("MIN", "MAX"),
        help="lengths of the candidate lines",
    )
    parser.add_argument("--no-default", action="store_true", help="do not measure the default")
    parser.add_argument("--cursive-only", action="store_true", help="try joined-up candidates only")
    parser.add_argument(
        "--ids", nargs="+", help="measure these lines (any split) instead of drawing candidates"
    )
    parser.add_argument(
        "--skip",
        type=Path,
        nargs="+",
        default=[],
        help="leave out the candidates measured in these earlier runs' output",
    )
    parser.add_argument(
        "--results",
        type=Path,
        nargs="+",
        help="choose from the JSON lines of earlier runs (one of them measured the default) "
        "instead of measuring",
    )
    parser.add_argument("--out", type=Path, help="write the chosen styles to this .npz")
    args = parser.parse_args()

    model = handsynth.load_model(args.model, kind="synthesis")
    if args.results:
        default_cer, results = read_results(args.results, args.data)
    else:
        if args.texts is None:
            parser.error("give --texts to measure, or --results to choose from")
        default_cer, results = measure_candidates(model, args)
    chosen = choose(results, default_cer, args.choose)
    print(json.dumps({"chosen": [r["id"] for r in chosen], "default_cer": default_cer}))
    if args.out is not None and chosen:
        write_styles(args.out, chosen, model.normalisation)


def measure_candidates(model, args) -> tuple[float | None, list[dict]]:
    """Measure the default (unless --no-default) and each candidate, printing each as it is done."""
    reader = model.line_reader
    texts = [t for t in args.texts.read_text(encoding="utf-8").splitlines() if t][: args.lines]
    letter = [line for line in model.lines(LETTER.read_text(encoding="utf-8")) if line]
    pages, population = real_pages(*load_prepared(args.data, "valid"))  # held-out writers
    real = np.array([page_score(page, population) for page in pages])  # (R,)
    default_cer = None
    if not args.no_default:
        default = measure(model, reader, texts, letter, None, WRITE_SEED, real, population)
        print(json.dumps({"default": default}), flush=True)
        default_cer = default["cer"]
    measured = {row["id"] for file in args.skip for row in read_rows(file) if "id" in row}
    if args.ids:
        candidates = named_lines(args.data, args.ids)
    else:
        candidates = candidate_lines(
            args.data,
            args.split,
            args.candidates,
            reader,
            args.seed,
            tuple(args.characters),
            measured,
            args.cursive_only,
        )
    results = []
    for candidate in candidates:
        prime = (model.normalisation.normalise(candidate["raw"]), candidate["text"])
        lifts_per_letter = float(candidate["f"][0])
        result = {
            "id": candidate["id"],
            "text": candidate["text"],
            **measure(model, reader, texts, letter, prime, WRITE_SEED, real, population),
            "lifts_per_letter": round(lifts_per_letter, 3),
            "cursive": lifts_per_letter <= CURSIVE_LIFTS,
        }
        print(json.dumps(result), flush=True)
        results.append({**result, "features": candidate["f"], "raw": candidate["raw"]})
    return default_cer, results


def read_results(files: list[Path], data: Path) -> tuple[float, list[dict]]:
    """The default's CER and the candidates measured in earlier runs' output, with each line's
    strokes and features from the data (candidates may come from any of its splits)."""
    default_cer, measured = None, {}
    for file in files:
        for row in read_rows(file):
            if "default" in row:
                default_cer = row["default"]["cer"]
            elif "id" in row:
                measured[row["id"]] = row
    if default_cer is None:
        raise SystemExit("none of --results measured the default")
    found = lines_by_id(data, set(measured))
    results = [
        {**measured[i], "features": line["f"], "raw": line["raw"]} for i, line in found.items()
    ]
    return default_cer, results


def read_rows(file: Path) -> list[dict]:
    """The JSON lines an earlier run printed."""
    return [json.loads(line) for line in file.read_text(encoding="utf-8").splitlines() if line]


def write_styles(path: Path, chosen: list[dict], normalisation) -> None:
    """styles.npz: the chosen lines normalised with `normalisation`, which it also holds."""
    lines = [normalisation.normalise(r["raw"]).astype(np.float32) for r in chosen]
    arrays = {
        "offsets": np.concatenate(lines),
        "starts": np.concatenate([[0], np.cumsum([len(line) for line in lines])]).astype(np.int64),
        "texts": np.array([r["text"] for r in chosen]),
        "line_ids": np.array([r["id"] for r in chosen]),
        "cursive": np.array([r["cursive"] for r in chosen]),
        "mean": normalisation.mean,
        "std": normalisation.std,
    }
    write_atomically(path, lambda f: np.savez(f, **arrays))


if __name__ == "__main__":
    main()
