"""Writer identification: does written handwriting look like the hand it was asked to imitate?

The writer encoder (`nn/writer_encoder.py`, trained by `train/writer_id.py` on the training
forms) maps a line to a unit-length embedding. On held-out forms (IAM-OnDB testset_v; a form is
one writer's page and stands for a writer), `evaluate` picks `forms` forms with enough lines, takes
`k` lines of each as its reference (the normalised mean of their embeddings, the form's centre)
and asks which of the centres each query line is nearest (cosine). The top-1 of:

- ceiling: the form's own other real lines; the best a written line can hope for;
- unprimed: lines the model writes in no particular hand; chance is 1 / forms;
- primed: lines written after priming with one of the form's reference lines (Graves §5.5);
- any other writer (an adapted model, ...): a `Writer` given the same references.

A form's queries are scored only against the centres of the forms picked with it, so the numbers
are top-1 among `forms`. Two forms may be by one writer (testset_v names no writers), which keeps
the ceiling below 1.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from handsynth.data.alphabet import Alphabet
from handsynth.data.line_pairs import form_of
from handsynth.data.strokes import Normalisation
from handsynth.loaded import SynthesisModel
from handsynth.nn.char_errors import compare
from handsynth.nn.ctc import character_error_rate
from handsynth.nn.writer_encoder import WriterEncoder
from handsynth.options import WriteOptions
from handsynth.sample.reader import LineReader
from handsynth.sample.synthesis import StyleMismatch
from handsynth.write.lines import write_lines

# A writer: (texts to write, the form's reference lines as raw offsets (T_i, 3), their texts) ->
# one line of raw offsets (T, 3) per text.
Writer = Callable[[list[str], list[np.ndarray], list[str]], list[np.ndarray]]


@dataclass
class EvalOptions:
    forms: int = 20  # held-out forms the queries choose among
    k: int = 3  # reference lines per form
    texts_per_form: int = 3  # new texts written for each form
    min_queries: int = 3  # real lines besides the references that a form needs to be picked
    seed: int = 0  # which forms, references and texts


def centres(embeddings: np.ndarray) -> np.ndarray:
    """Reference embeddings (F, k, D) -> each form's centre (F, D), of unit length."""
    mean = embeddings.mean(axis=1)
    return mean / np.linalg.norm(mean, axis=1, keepdims=True)


def nearest(form_centres: np.ndarray, queries: np.ndarray) -> np.ndarray:
    """Centres (F, D) and query embeddings (Q, D) -> the index of each query's nearest centre
    by cosine (Q,)."""
    return np.argmax(queries @ form_centres.T, axis=1)


def top1(form_centres: np.ndarray, queries: np.ndarray, truth: np.ndarray) -> float:
    """Share of queries (Q, D) whose nearest centre (F, D) is their own form `truth` (Q,)."""
    return float(np.mean(nearest(form_centres, queries) == truth))


def lines_by_form(line_ids: list[str]) -> dict[str, list[int]]:
    """Form -> the indices of its lines, in the order given."""
    forms: dict[str, list[int]] = {}
    for i, line_id in enumerate(line_ids):
        forms.setdefault(form_of(line_id), []).append(i)
    return forms


def validation_top1(
    encoder: WriterEncoder, lines: list[np.ndarray], line_ids: list[str], k: int = 3
) -> float:
    """Top-1 among all forms of a split with more than `k` lines: the first `k` lines of each
    make its centre, the rest are the queries. What training watches to keep its best encoder."""
    forms = [idx for idx in lines_by_form(line_ids).values() if len(idx) > k]
    embeddings = encoder.embed([lines[i] for idx in forms for i in idx])
    form_centres, queries, truth, at = [], [], [], 0
    for f, idx in enumerate(forms):
        form_centres.append(embeddings[at : at + k])
        queries.append(embeddings[at + k : at + len(idx)])
        truth += [f] * (len(idx) - k)
        at += len(idx)
    return top1(centres(np.stack(form_centres)), np.concatenate(queries), np.array(truth))


@dataclass
class PickedForm:
    form: str
    references: list[int]  # indices of the k reference lines
    queries: list[int]  # indices of the form's other lines
    texts: list[str]  # new texts to write in its hand


def pick_forms(line_ids: list[str], text_pool: list[str], options: EvalOptions) -> list[PickedForm]:
    """`options.forms` forms with at least k + min_queries lines, their references and queries,
    and `texts_per_form` texts from `text_pool` each (no text twice), chosen by `options.seed`."""
    rng = np.random.default_rng(options.seed)
    by_form = lines_by_form(line_ids)
    eligible = sorted(
        f for f, idx in by_form.items() if len(idx) >= options.k + options.min_queries
    )
    if len(eligible) < options.forms:
        raise ValueError(f"only {len(eligible)} forms have enough lines, {options.forms} wanted")
    needed = options.forms * options.texts_per_form
    if len(text_pool) < needed:
        raise ValueError(f"{len(text_pool)} texts given, {needed} needed")
    forms = rng.choice(eligible, options.forms, replace=False)
    texts = rng.choice(len(text_pool), needed, replace=False)
    picked = []
    for n, form in enumerate(forms):
        idx = rng.permutation(by_form[form]).tolist()
        chosen = texts[n * options.texts_per_form : (n + 1) * options.texts_per_form]
        picked.append(
            PickedForm(
                str(form), idx[: options.k], idx[options.k :], [text_pool[t] for t in chosen]
            )
        )
    return picked


def evaluate(
    encoder: WriterEncoder,
    lines: list[np.ndarray],
    texts: list[str],
    picked: list[PickedForm],
    writers: dict[str, Writer],
    reader: LineReader | None = None,
) -> dict[str, float]:
    """Top-1 among the picked forms of their real query lines ("ceiling") and of the lines each
    of `writers` writes for them, by name; with a `reader`, also the character error rate of its
    reading of the real query lines ("ceiling_cer": how legible the hands themselves are) and of
    each writer's lines ("NAME_cer"), and the share of the characters it misreads among those
    the form's reference texts hold and those they do not ("NAME_seen", "NAME_unseen": whether
    a writer adapted to the references forgets the letters they never show). `lines` (raw
    offsets) and `texts` are the split's."""
    references = np.stack([encoder.embed([lines[i] for i in p.references]) for p in picked])
    form_centres = centres(references)  # (F, D)
    real = [i for p in picked for i in p.queries]
    truth = np.array([f for f, p in enumerate(picked) for _ in p.queries])
    result = {"ceiling": top1(form_centres, encoder.embed([lines[i] for i in real]), truth)}
    if reader is not None:
        result["ceiling_cer"] = _reading_cer(
            reader, reader.read([lines[i] for i in real]), [texts[i] for i in real]
        )
    for name, writer in writers.items():
        written, truth, wanted, shown = [], [], [], []
        for f, p in enumerate(picked):
            reference_texts = [texts[i] for i in p.references]
            drawn = writer(p.texts, [lines[i] for i in p.references], reference_texts)
            written += drawn
            truth += [f] * len(drawn)
            wanted += p.texts
            shown += [set("".join(reference_texts))] * len(drawn)
        result[name] = top1(form_centres, encoder.embed(written), np.array(truth))
        if reader is not None:
            readings = reader.read(written)
            result[f"{name}_cer"] = _reading_cer(reader, readings, wanted)
            seen, unseen = misread_by_seen(readings, wanted, shown, reader.alphabet)
            result[f"{name}_seen"], result[f"{name}_unseen"] = seen, unseen
    return result


def misread_by_seen(
    readings: list[str], texts: list[str], shown: list[set[str]], alphabet: Alphabet
) -> tuple[float, float]:
    """The share of the characters of `texts` (as `alphabet` spells them) that their readings
    misread (`nn.char_errors.compare`: read as another character or not at all), among the
    characters each line's `shown` set holds and among the rest; spaces are left out. NaN where
    there are none."""
    wrong, total = np.zeros(2), np.zeros(2)  # [seen, unseen]
    for reading, text, seen in zip(readings, texts, shown, strict=True):
        spelt = alphabet.spell(text)
        _, pairs = compare(reading, spelt)
        for original, (want, got) in zip(text, pairs, strict=True):
            if not want.isspace():
                kind = 0 if original in seen else 1
                total[kind] += 1
                wrong[kind] += want != got
    with np.errstate(invalid="ignore", divide="ignore"):
        seen_share, unseen_share = wrong / total
    return float(seen_share), float(unseen_share)


def _reading_cer(reader: LineReader, readings: list[str], texts: list[str]) -> float:
    """The character error rate of `reader`'s readings against texts."""
    return character_error_rate(readings, [reader.alphabet.spell(t) for t in texts])


def synthesis_writer(
    model: SynthesisModel,
    primed: bool,
    options: WriteOptions | None = None,
    adapted: bool = False,
) -> Writer:
    """A `Writer` drawing with a synthesis model (`options.candidates` draws a line, of which the
    model's reader keeps the one it reads best, as `write` does; with one, no reader at all, so no
    misread word is redrawn as `write` would): unprimed, or primed with the form's first reference
    line whose strokes the model reads as its text (`StyleMismatch` otherwise; a form none of whose
    references fit is written unprimed); with `adapted`, by the model first fine-tuned on the form's
    reference lines (`SynthesisModel.adapted`) and primed as well."""
    options = options or WriteOptions(wrap=0)
    reader = model.line_reader if options.candidates > 1 else None

    def write(new_texts: list[str], reference_lines, reference_texts) -> list[np.ndarray]:
        writer = model
        if adapted:
            writer = model.adapted(list(zip(reference_lines, reference_texts, strict=True)))
        stepping = writer.synthesis_stepping()
        norm: Normalisation = writer.normalisation

        def drawn(prime: tuple[np.ndarray, str] | None) -> list[np.ndarray]:
            lines = write_lines(
                stepping,
                writer.alphabet,
                norm,
                new_texts,
                options,
                prime,
                reader=reader,
                guide=model.guide(options),
            )
            return [line.offsets for line in lines]

        primes = zip(reference_lines, reference_texts, strict=True) if primed or adapted else []
        for offsets, text in primes:
            try:
                return drawn((norm.normalise(offsets), text))
            except StyleMismatch:
                continue
        return drawn(None)

    return write
