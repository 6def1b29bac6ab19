"""How often a wrapped paragraph comes out readable word for word: one JSON line on stdout.

Writes the same text with seeds 1..N (the shipped synthesis model, `--wrap` characters a line) and
reads every page twice: with the shipped recogniser (`LoadedModel.line_reader`), counting the
pages it reads exactly as written, and with Tesseract (`ocr.read_lines`), averaging its character
error rate over the pages. With more than one candidate the recogniser chose the draws, so its
count flatters; Tesseract's CER does not.

    python scripts/read_paragraph.py                            # the README paragraph, defaults
    python scripts/read_paragraph.py --candidates 4 --bias 2 --seeds 20
    python scripts/read_paragraph.py --text-file docs/letter.txt --wrap 50   # the README letter
    python scripts/read_paragraph.py --text "Dear Ada,
    thank you" --wrap 0 --style 2                                # the Python API example
"""

import argparse
import json
from pathlib import Path

import handsynth
from handsynth.eval.ocr import read_lines
from handsynth.nn.ctc import character_error_rate
from handsynth.options import DEFAULT_BIAS, DEFAULT_CANDIDATES

PARAGRAPH = (
    "Thank you for the letter and the photographs of the garden. "
    "The roses came out well this year, and we will visit in the spring."
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--text", default=PARAGRAPH, help="the paragraph (default: the README's)")
    parser.add_argument("--text-file", type=Path, help="read the text from this file instead")
    parser.add_argument(
        "--style",
        help="a shipped style number or a style file (default: the default hand; 0: none)",
    )
    parser.add_argument("--seeds", type=int, default=20, help="pages, seeds 1..N (default: 20)")
    parser.add_argument("--wrap", type=int, default=40, help="characters a line (default: 40)")
    parser.add_argument(
        "--bias",
        type=float,
        default=DEFAULT_BIAS,
        help=f"sampling bias (default: {DEFAULT_BIAS:g})",
    )
    parser.add_argument(
        "--candidates", type=int, default=DEFAULT_CANDIDATES, help="draws a line (default: write's)"
    )
    args = parser.parse_args()

    model = handsynth.load_model()
    text = args.text_file.read_text(encoding="utf-8") if args.text_file else args.text
    style = int(args.style) if args.style and args.style.isdigit() else args.style
    exact, ocr_cers, exact_lines, lines = [], [], 0, 0
    for seed in range(1, args.seeds + 1):
        page = model.write(
            text, bias=args.bias, seed=seed, wrap=args.wrap, candidates=args.candidates, style=style
        )
        readings = model.line_reader.read(page.offsets)
        if readings == page.texts:
            exact.append(seed)
        exact_lines += sum(r == t for r, t in zip(readings, page.texts, strict=True))
        lines += len(page.texts)
        ocr_cers.append(character_error_rate(read_lines(page.offsets), page.texts))
    print(
        json.dumps(
            {
                "pages": args.seeds,
                "bias": args.bias,
                "candidates": args.candidates,
                "lines_a_page": len(page.texts),
                "recogniser_exact_lines": round(exact_lines / lines, 3),
                "recogniser_exact_pages": len(exact),
                "recogniser_exact_seeds": exact,
                "tesseract_cer_mean": round(sum(ocr_cers) / len(ocr_cers), 4),
            }
        )
    )


if __name__ == "__main__":
    main()
