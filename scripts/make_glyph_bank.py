"""Make the glyph bank `write` draws digits, capitals and a few marks from (write/glyphs.py).

For each character, IAM-OnDB training lines that hold it are read by the shipped synthesis network
as it reads a style line: the window after each point says which character the next point writes.
A run of whole strokes the window gives to one character, and to no other, is a drawing of it.
Each drawing is measured against its line (`hand_metrics.measure_line`: tilt, baseline, x-height,
slant), levelled, set upright and scaled to x-height units, and kept if it has a plausible size
and read: the shipped recogniser reading it alone scores 1 if it reads the character (half for
a look-alike: o for 0, l for 1, c for C), and Tesseract reading it written three times in a row
scores its share read right, the same way. Of those Tesseract reads two times in three (the
recogniser reads alone where Tesseract is not installed), the BANK_SIZE read best go in the bank,
the most typical (nearest to the others of the character in shape) first among equals. Some
characters are drawn as the strokes they are in print instead (SHAPES): a slash and a colon,
which the window rarely gives strokes of their own; a one, as a stroke with a short flag
(IAM-OnDB's writers give theirs a long up-stroke that Tesseract reads as A); and H, I, X and Z,
of which no cut drawing was read (IAM-OnDB's training lines hold 3 capital Xs and 6 Zs).

    python scripts/make_glyph_bank.py --data /tmp/prepared-smooth --out handsynth/weights/glyphs.npz

With `--pool` it writes every plausible cut instead, unread and unchosen, and as many drawn
one, slash, colon, H, I, X and Z as cut ones (at least POOL_DRAWN): the bank `handsynth train
recogniser --splice` writes words from (train/splice.py), so that the recogniser learns to read
the strokes `write` draws those characters with as well as the hands it cuts (`--cut-only`:
without them).
"""

from __future__ import annotations

import argparse
import shutil
import sys
from dataclasses import dataclass

import numpy as np
from threadpoolctl import threadpool_limits

import handsynth
from handsynth.data.strokes import points_to_offsets, strokes_to_points
from handsynth.sample.synthesis import pad_texts
from handsynth.write.glyphs import GlyphBank
from handsynth.write.hand_metrics import level, measure_line, shear

DIGITS = "0123456789"
CAPITALS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
MARKS = "?!"
LINES_PER_CHARACTER = 60  # training lines read for each character (all of them for digits)
BANK_SIZE = 8  # drawings kept per character
POOL_DRAWN = 32  # the fewest drawn drawings of a drawn character in a `--pool` bank
MIN_PURITY = 0.6  # of a stroke's points, the share the window gives to its character
BATCH = 32
ROW = 3  # Tesseract reads each drawing written this many times in a row
ROW_GAP = 0.8  # x-heights between them: closer, three ones read as an m
READ_X_HEIGHT = 120.0  # pen units: about the x-height of the training lines
STROKE_SLACK = 0.2  # x-heights
MIN_RECOGNISER = 0.5  # without Tesseract: the recogniser reads it alone as it or a look-alike
MIN_TESSERACT = 2 / 3  # Tesseract reads at least two of three in a row right
# Readings accepted for a drawing read alone, where a reader cannot tell it from its look-alike.
ALIKE = {"0": "oO", "1": "lI|", "5": "S", "2": "zZ", "6": "b", "8": "B"}
ALIKE |= {c: c.lower() for c in "CKOPSUVWXZ"}
DRAWN = "1/:HIXZ."  # drawn by `drawn_glyphs` and `full_stops`, not cut from the lines
DESCENDING = "JQ"  # capitals that may reach below the baseline
HEIGHT = {"digit": (1.3, 3.2), "capital": (1.4, 3.5), "mark": (1.0, 3.5)}  # x-heights


@dataclass
class Drawing:
    char: str
    line: str  # IAM-OnDB line id
    points: np.ndarray  # (N, 2) x-height units, upright, baseline y = 0
    eos: np.ndarray  # (N,)
    raw: np.ndarray  # (N, 3) raw pen offsets as written, for the readers


def aligned_drawings(model, data: dict, wanted: str) -> list[Drawing]:
    """Drawings of the `wanted` characters cut from the training lines by the window."""
    texts = [str(t) for t in data["texts"]]
    chosen: set[int] = set()
    for char in wanted:
        holding = [i for i, t in enumerate(texts) if char in t]
        chosen |= set(holding if char in DIGITS else holding[:LINES_PER_CHARACTER])
    rows = sorted(chosen)
    offsets, starts = data["offsets"], data["starts"]
    drawings = []
    for k in range(0, len(rows), BATCH):
        batch = rows[k : k + BATCH]
        lines = [offsets[starts[i] : starts[i + 1]] for i in batch]
        reading = _window_readings(model, lines, [texts[i] for i in batch])
        for i, line, read in zip(batch, lines, reading, strict=True):
            drawings += _cut(line, read, texts[i], str(data["line_ids"][i]), wanted)
        print(f"read {min(k + BATCH, len(rows))} of {len(rows)} lines", file=sys.stderr)
    return drawings


def _window_readings(model, lines: list[np.ndarray], texts: list[str]) -> list[np.ndarray]:
    """Per line, the character (T,) the window reads when each point is drawn."""
    weights, norm = model.synthesis_weights, model.normalisation
    chars, mask = pad_texts(model.alphabet, texts)
    stepper, state = weights.stepper(chars, mask), weights.initial_state(len(lines))
    T = max(len(line) for line in lines)
    inputs = np.zeros((len(lines), T, 3), np.float32)  # (B, T, 3)
    for r, line in enumerate(lines):
        inputs[r, : len(line)] = norm.normalise(line)
    reading = np.zeros((len(lines), T), np.int64)
    x = np.zeros((len(lines), 3), np.float32)
    with threadpool_limits(limits=1, user_api="blas"):
        for t in range(T):
            _, phi, state = stepper.step(x, state)  # the window that draws point t
            reading[:, t] = phi.argmax(axis=1)
            x = inputs[:, t]
    return [reading[r, : len(line)] for r, line in enumerate(lines)]


def _cut(line: np.ndarray, reading: np.ndarray, text: str, line_id: str, wanted: str):
    """The drawings of `wanted` characters in one line: runs of strokes given to one character."""
    points, eos = np.cumsum(line[:, :2], axis=0), line[:, 2] > 0.5
    hand = measure_line(points, eos)
    if hand is None:
        return []
    ends = np.flatnonzero(eos)
    begins = np.concatenate([[0], ends[:-1] + 1])
    labels = []
    for b, e in zip(begins, ends, strict=True):
        values, counts = np.unique(reading[b : e + 1], return_counts=True)
        pure = counts.max() / (e - b + 1) >= MIN_PURITY
        labels.append(int(values[counts.argmax()]) if pure else -1)
    found = []
    for u, char in enumerate(text):
        strokes = [s for s, label in enumerate(labels) if label == u]
        if char not in wanted or not strokes or strokes != list(range(strokes[0], strokes[-1] + 1)):
            continue
        span = slice(begins[strokes[0]], ends[strokes[-1]] + 1)
        upright = shear(level(points[span], hand.tilt), -hand.slant, 0.0)
        upright[:, 1] -= hand.baseline
        upright[:, 0] -= upright[:, 0].min()
        upright /= hand.x_height
        if char not in DESCENDING:  # digits and capitals stand on the baseline
            upright[:, 1] -= upright[:, 1].max()
        raw = line[span].copy()
        raw[0, :2] = 0.0
        found.append(Drawing(char, line_id, upright, eos[span], raw))
    return found


def plausible(d: Drawing) -> bool:
    kind = "digit" if d.char in DIGITS else "capital" if d.char in CAPITALS else "mark"
    low, high = HEIGHT[kind]
    height, width = -d.points[:, 1].min(), d.points[:, 0].max()
    strokes = int(d.eos.sum())
    sized = low <= height <= high and 0.2 <= width <= 3.0
    return sized and strokes <= 4 and len(d.points) >= 6 and _one_body(d)


def _one_body(d: Drawing) -> bool:
    """Every stroke overlaps the longest one in x (by STROKE_SLACK x-heights): no dash or
    neighbour's stroke came along with the character."""
    strokes = np.split(d.points, np.flatnonzero(d.eos)[:-1] + 1)
    longest = max(strokes, key=len)
    left, right = longest[:, 0].min() - STROKE_SLACK, longest[:, 0].max() + STROKE_SLACK
    return all(s[:, 0].max() >= left and s[:, 0].min() <= right for s in strokes)


def same_height(drawings: list[Drawing]) -> list[Drawing]:
    """The drawings of one character scaled to their median height: the x-height their lines
    were measured with is rougher than a character's height."""
    heights = np.array([-d.points[:, 1].min() for d in drawings])
    target = float(np.median(heights))
    return [
        Drawing(d.char, d.line, d.points * target / h, d.eos, d.raw)
        for d, h in zip(drawings, heights, strict=True)
    ]


def in_a_row(d: Drawing) -> np.ndarray:
    """The drawing written ROW times in a row at READ_X_HEIGHT pen units: raw offsets (N, 3)."""
    width = d.points[:, 0].max()
    points = np.concatenate([d.points + [k * (width + ROW_GAP), 0.0] for k in range(ROW)])
    return points_to_offsets(points * READ_X_HEIGHT, np.tile(d.eos, ROW))


def tesseract_score(reading: str, char: str) -> float:
    """How well Tesseract read a drawing written ROW times: 1 for each right, half for each
    look-alike, over ROW."""
    reading = reading.replace(" ", "")
    right = sum(alike_score(c, char) for c in reading[:ROW])
    return right / ROW if len(reading) == ROW else right / (2 * ROW)


def alike_score(reading: str, char: str) -> float:
    """1 for a reading of `char`, half for one of a look-alike, 0 otherwise."""
    return 1.0 if reading == char else 0.5 if reading and reading in ALIKE.get(char, "") else 0.0


def _shape(points: np.ndarray, n: int = 24) -> np.ndarray:
    """The pen's path resampled to n points (n, 2), centred and scaled to unit height."""
    along = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(points, axis=0), axis=1))])
    at = np.linspace(0.0, along[-1], n)
    path = np.stack([np.interp(at, along, points[:, i]) for i in range(2)], axis=1)
    height = np.ptp(points[:, 1]) or 1.0
    return (path - path.mean(axis=0)) / height


def best_read(scored: list[tuple[Drawing, float]], keep: int) -> list[Drawing]:
    """The `keep` drawings read best, the most typical (nearest in shape to the others) first
    among equals."""
    shapes = np.stack([_shape(d.points) for d, _ in scored])  # (D, n, 2)
    distance = np.array([np.median(np.linalg.norm(shapes - s, axis=(1, 2))) for s in shapes])
    order = np.lexsort((distance, [-s for _, s in scored]))
    return [scored[i][0] for i in order[:keep]]


# Characters drawn as the strokes they are in print: corners of each stroke in x-heights, for a
# character 2 x-heights tall standing on the baseline (y = 0, growing downwards).
SHAPES = {
    "1": [[(0.03, -1.76), (0.35, -2.0), (0.35, 0.0)]],
    "/": [[(0.0, 0.4), (1.1, -2.1)]],
    "I": [[(0.0, -2.0), (0.8, -2.0)], [(0.4, -2.0), (0.4, 0.0)], [(0.0, 0.0), (0.8, 0.0)]],
    "H": [[(0.0, -2.0), (0.0, 0.0)], [(1.0, -2.0), (1.0, 0.0)], [(0.0, -1.0), (1.0, -1.0)]],
    "X": [[(0.0, -2.0), (1.1, 0.0)], [(1.1, -2.0), (0.0, 0.0)]],
    "Z": [[(0.0, -2.0), (1.0, -2.0), (0.0, 0.0), (1.05, 0.0)]],
}
CORNER_JITTER = 0.03  # x-heights
POINTS_PER_X_HEIGHT = 6  # along a drawn stroke


def drawn_glyphs(rng: np.random.Generator) -> list[Drawing]:
    """BANK_SIZE drawings of each of SHAPES and of a colon, each a little different in size and
    in where its corners fall."""
    made = []
    for _ in range(BANK_SIZE):
        for char, strokes in SHAPES.items():
            size = np.array([rng.uniform(0.9, 1.1), rng.uniform(0.93, 1.07)])  # (x, y)
            pieces = [
                _polyline(
                    np.array(corners) * size + rng.normal(0.0, CORNER_JITTER, (len(corners), 2))
                )
                for corners in strokes
            ]
            made.append(Drawing(char, "drawn", *strokes_to_points(pieces), np.zeros((0, 3))))
        dot = 0.1 * np.stack([np.cos(np.arange(4) * 1.6), np.sin(np.arange(4) * 1.6)], axis=1)
        upper, lower = dot + [0.0, -0.85], dot + [0.02, -0.15]
        colon, eos = strokes_to_points([upper, lower])
        colon += rng.normal(0.0, 0.01, (8, 2))
        made.append(Drawing(":", "drawn", colon, eos, np.zeros((0, 3))))
    return made


def add_drawn(pool: dict[str, list[Drawing]], rng: np.random.Generator) -> None:
    """Add to a pool of cut drawings as many of each drawn character (`drawn_glyphs`) as it holds
    cut ones, and at least POOL_DRAWN."""
    wanted = {c: max(POOL_DRAWN, len(pool.get(c, []))) for c in [*SHAPES, ":"]}
    made: dict[str, list[Drawing]] = {c: [] for c in wanted}
    while any(len(made[c]) < n for c, n in wanted.items()):
        for d in drawn_glyphs(rng):
            if len(made[d.char]) < wanted[d.char]:
                made[d.char].append(d)
    for char, drawn in made.items():
        pool.setdefault(char, []).extend(drawn)


def full_stops(rng: np.random.Generator) -> list[Drawing]:
    """BANK_SIZE full stops: a small round dot just above the baseline, each a little different.
    (Drawn after a drawn character only: `write.glyphs.RealGlyphs.guided`.)"""
    made = []
    for _ in range(BANK_SIZE):
        angles = np.arange(4) * 1.6 + rng.uniform(0.0, np.pi)
        dot = rng.uniform(0.08, 0.12) * np.stack([np.cos(angles), np.sin(angles)], axis=1)
        points, eos = strokes_to_points([dot + [0.1, -0.1] + rng.normal(0.0, 0.01, (4, 2))])
        made.append(Drawing(".", "drawn", points, eos, np.zeros((0, 3))))
    return made


def _polyline(corners: np.ndarray) -> np.ndarray:
    """Points (N, 2) along straight segments through corners (C, 2), POINTS_PER_X_HEIGHT a unit."""
    pieces = [corners[:1]]
    for a, b in zip(corners[:-1], corners[1:], strict=True):
        n = max(2, int(np.ceil(np.linalg.norm(b - a) * POINTS_PER_X_HEIGHT)))
        pieces.append(a + (b - a) * np.linspace(0.0, 1.0, n + 1)[1:, None])
    return np.concatenate(pieces)


def median_x_height(data: dict, every: int = 50) -> float:
    """The median x-height, in raw pen units, of every `every`-th training line."""
    heights = []
    for i in range(0, len(data["texts"]), every):
        line = data["offsets"][data["starts"][i] : data["starts"][i + 1]]
        hand = measure_line(np.cumsum(line[:, :2], axis=0), line[:, 2] > 0.5)
        if hand is not None:
            heights.append(hand.x_height)
    return float(np.median(heights))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True, help="a prepared folder (handsynth prepare)")
    parser.add_argument("--out", required=True, help="the bank to write (.npz)")
    parser.add_argument(
        "--characters",
        default=DIGITS + CAPITALS + MARKS,
        help="the characters to find drawings of (default: digits, capitals and ?!)",
    )
    parser.add_argument("--seed", type=int, default=0, help="for the drawn characters")
    parser.add_argument(
        "--pool",
        action="store_true",
        help="every plausible cut drawing, unread, and drawn ones: a bank for `train recogniser "
        "--splice`",
    )
    parser.add_argument(
        "--cut-only",
        action="store_true",
        help="with --pool: no drawn characters (the bank of the recogniser's first --splice run)",
    )
    args = parser.parse_args()
    model = handsynth.load_model()
    with np.load(f"{args.data}/train.npz") as npz:
        data = dict(npz)
    # The pool holds real drawings of every character asked for, the drawn ones too.
    wanted = "".join(c for c in args.characters if args.pool or c not in DRAWN)
    drawings = [d for d in aligned_drawings(model, data, wanted) if plausible(d)]
    if args.pool:
        pool: dict[str, list[Drawing]] = {}
        for d in drawings:
            pool.setdefault(d.char, []).append(d)
        if not args.cut_only:
            add_drawn(pool, np.random.default_rng(args.seed))
        bank = {c: [(d.points.astype(np.float32), d.eos) for d in of] for c, of in pool.items()}
        sources = [d.line for of in pool.values() for d in of]
        GlyphBank(bank, median_x_height(data)).save(args.out, sources)
        drawn = sum(len(of) for of in bank.values()) - len(drawings)
        print(f"wrote {args.out}: {len(drawings)} cut and {drawn} drawn, {len(bank)} characters")
        return
    reader = handsynth.load_model(kind="recogniser").as_line_reader()
    readings = []
    for k in range(0, len(drawings), 64):
        readings += reader.read([d.raw for d in drawings[k : k + 64]])
    scores = [alike_score(r, d.char) for d, r in zip(drawings, readings, strict=True)]
    readable = [score >= MIN_RECOGNISER for score in scores]
    if shutil.which("tesseract"):
        from handsynth.eval.ocr import read_lines

        ocr = [
            tesseract_score(r, d.char)
            for r, d in zip(read_lines([in_a_row(d) for d in drawings]), drawings, strict=True)
        ]
        readable = [o >= MIN_TESSERACT for o in ocr]
        scores = [s + o for s, o in zip(scores, ocr, strict=True)]
    else:
        print("tesseract is not installed: drawings are chosen by the recogniser alone")
    bank, sources = {}, []
    for char in wanted:
        of_char = [
            (d, s)
            for d, s, ok in zip(drawings, scores, readable, strict=True)
            if d.char == char and ok
        ]
        if len(of_char) < 2:  # one drawing would be the same every time: let the network write it
            print(f"{char!r}: {len(of_char)} readable drawings, left to the network")
            continue
        chosen = same_height(best_read(of_char, BANK_SIZE))
        bank[char] = [(d.points.astype(np.float32), d.eos) for d in chosen]
        sources += [d.line for d in chosen]
        print(f"{char!r}: {len(chosen)} of {len(of_char)} readable drawings")
    drawn = drawn_glyphs(np.random.default_rng(args.seed))
    for d in drawn + full_stops(np.random.default_rng([args.seed, 1])):
        bank.setdefault(d.char, []).append((d.points.astype(np.float32), d.eos))
        sources.append(d.line)
    GlyphBank(bank, median_x_height(data)).save(args.out, sources)
    print(
        f"wrote {args.out}: {sum(len(v) for v in bank.values())} drawings of {len(bank)} characters"
    )


if __name__ == "__main__":
    main()
