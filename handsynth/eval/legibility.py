"""Legibility: how well a CTC recogniser reads synthesized handwriting, next to real handwriting.

The recogniser of `recogniser.py` is trained on the same prepared lines as the synthesis network
(`tasks.RecognitionTask`). `legibility` writes the texts of validation lines with a synthesis model
and reports the recogniser's character error rate (CER) on the real lines and on the synthesized
ones: the closer the two, the more legible the synthesis. With `ocr`, Tesseract (`ocr.py`), a
reader that never saw IAM-OnDB, reads both sets as well.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from handsynth.data.alphabet import Alphabet
from handsynth.data.prepare import load_prepared
from handsynth.errors import UserError
from handsynth.loaded import RecogniserModel, SynthesisModel
from handsynth.nn.char_errors import character_errors
from handsynth.nn.ctc import character_error_rate, read_texts
from handsynth.nn.recogniser import Recogniser
from handsynth.options import DEFAULT_BIAS, DEFAULT_CANDIDATES, WriteOptions
from handsynth.write.lines import write_lines


@torch.no_grad()
def recognise(
    model: Recogniser, offsets_list: list[np.ndarray], alphabet: Alphabet, batch_size: int = 32
) -> list[str]:
    """The text the recogniser reads in each line of normalised offsets (T, 3); "" for empty."""
    model.eval()
    reference = next(model.parameters())
    texts = [""] * len(offsets_list)
    order = [i for i in np.argsort([len(o) for o in offsets_list]) if len(offsets_list[i])]
    for start in range(0, len(order), batch_size):
        indices = order[start : start + batch_size]
        lengths = torch.tensor([len(offsets_list[i]) for i in indices])
        x = reference.new_zeros(len(indices), int(lengths.max()), 3)  # (B, T, 3) zero padded
        for row, i in enumerate(indices):
            x[row, : lengths[row]] = torch.as_tensor(offsets_list[i], dtype=x.dtype)
        log_probs, out_lengths = model(x, lengths)
        for i, text in zip(indices, read_texts(log_probs, out_lengths, alphabet), strict=True):
            texts[i] = text
    return texts


def legibility(
    recogniser: RecogniserModel,
    synthesis: SynthesisModel,
    data_dir: str | Path,
    num_lines: int = 100,
    bias: float = DEFAULT_BIAS,
    seed: int = 0,
    batch_size: int = 32,
    texts: list[str] | None = None,
    ocr: bool = False,
    candidates: int = DEFAULT_CANDIDATES,
    style: int | str | None = None,
    glyphs: bool = True,
) -> dict:
    """CER of the recogniser on the first `num_lines` validation lines and on synthesized lines.

    Without `texts` the synthesis writes the texts of those validation lines; with `texts` (novel
    sentences, one a line) it writes those instead, and the real lines give the scale. Also
    reported: the fraction of synthesized lines still faulty after the retries, and how often the
    recogniser reads the last letter of a line right, on real and synthesized lines. With more
    than one of `candidates`, the recogniser also chooses among draws of each line, so its own
    CER flatters them: read them with `ocr` too. Every line is primed with `style` as
    `SynthesisModel.write` primes it (None: the default hand; 0: no style); `glyphs` draws the
    characters of the shipped glyph bank from real strokes, as `write` does. With `ocr`,
    Tesseract's CER on the same raw lines (`ocr_cer_real`, `ocr_cer_synthesized`, their ratio).
    Each reader's errors are also given per class of character (`nn.char_errors`: capitals,
    digits, rare lower-case, other lower-case, punctuation) with the characters read worst.

    Both models come from `handsynth.load_model`. The synthesized lines come back as raw offsets
    and are normalised with the recogniser's statistics, like the real ones, so the two models need
    not share them; they must share the alphabet, or the references would differ between real and
    synthesized.
    """
    if ocr:
        from handsynth.eval.ocr import read_lines, tesseract_program

        tesseract_program()  # before minutes of writing, not after
    alphabet = recogniser.alphabet
    if synthesis.alphabet != alphabet:
        raise UserError(
            "the recogniser and the synthesis model use different alphabets; train the recogniser "
            "on the data the synthesis model was trained on"
        )
    raw_lines, real_texts, _ = load_prepared(data_dir, "valid")
    raw_lines, real_texts = list(raw_lines[:num_lines]), list(real_texts[:num_lines])
    novel = texts is not None
    texts = list(texts) if novel else real_texts

    def read(lines: list[np.ndarray], wanted: list[str]) -> tuple[float, float, dict]:
        """(CER, fraction of lines whose last letter is read right, per-class errors) against
        `wanted`."""
        # References as the alphabet sees them (a reduced alphabet folds rare symbols into one).
        references = [alphabet.spell(t) for t in wanted]
        normalised = [recogniser.normalisation.normalise(line) for line in lines]
        readings = recognise(recogniser.network, normalised, alphabet, batch_size)
        pairs = zip(readings, references, strict=True)
        last_right = [read.rstrip()[-1:] == want.rstrip()[-1:] for read, want in pairs]
        errors = character_errors(readings, references)
        return character_error_rate(readings, references), float(np.mean(last_right)), errors

    options = WriteOptions(bias=bias, seed=seed, wrap=0, candidates=candidates, glyphs=glyphs)
    writer = synthesis.for_style(style)
    written = write_lines(
        writer.synthesis_stepping(),
        synthesis.alphabet,
        synthesis.normalisation,
        texts,
        options,
        synthesis.prime(style),
        reader=recogniser.as_line_reader(),
        guide=synthesis.guide(options),
    )
    cer_real, last_real, errors_real = read(raw_lines, real_texts)
    cer_synthesized, last_synthesized, errors = read([line.offsets for line in written], texts)
    ocr_metrics = {}
    if ocr:
        ocr_real = character_error_rate(read_lines(raw_lines), real_texts)
        ocr_readings = read_lines([w.offsets for w in written])
        ocr_synthesized = character_error_rate(ocr_readings, texts)
        ocr_errors = character_errors(ocr_readings, texts)
        ocr_metrics = {
            "ocr_cer_real": ocr_real,
            "ocr_cer_synthesized": ocr_synthesized,
            "ocr_cer_ratio": ocr_synthesized / ocr_real if ocr_real else float("inf"),
            "ocr_classes_synthesized": _rates(ocr_errors),
            "ocr_worst_synthesized": ocr_errors["worst"],
        }
    return {
        "cer_real": cer_real,
        "cer_synthesized": cer_synthesized,
        "cer_ratio": cer_synthesized / cer_real if cer_real else float("inf"),
        "faulty_lines": sum(bool(line.faults) for line in written) / len(written),
        "last_letter_real": last_real,
        "last_letter_synthesized": last_synthesized,
        "lines": len(texts),
        "real_lines": len(real_texts),
        "texts": "novel" if novel else "validation",
        "bias": bias,
        "candidates": candidates,
        "style": style,
        "glyphs": glyphs,
        "classes_real": _rates(errors_real),
        "classes_synthesized": _rates(errors),
        "worst_synthesized": errors["worst"],
        **ocr_metrics,
    }


def _rates(errors: dict) -> dict:
    """Per class of character (capitals, digits, ...) its error rate; None where absent."""
    return {name: entry["error_rate"] for name, entry in errors["classes"].items()}
