"""The writer encoder, its training and the writer-identification evaluation."""

from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

from handsynth.data.alphabet import Alphabet
from handsynth.errors import CheckpointError
from handsynth.eval.writer_id import (
    EvalOptions,
    centres,
    evaluate,
    misread_by_seen,
    nearest,
    pick_forms,
    synthesis_writer,
    top1,
    validation_top1,
)
from handsynth.nn.writer_encoder import (
    WriterEncoder,
    WriterEncoderConfig,
    line_height,
    line_inputs,
    load_encoder,
    pad_inputs,
)
from handsynth.train.writer_id import WriterTrainOptions, train_writer_encoder

SHIPPED = Path(__file__).resolve().parents[1] / "handsynth" / "weights" / "writer_id.safetensors"
PREPARED = Path("/tmp/prep/smooth")
SMALL = WriterEncoderConfig(channels=(8, 12, 16), kernel=5, embedding_size=16)


def synthetic_line(hand: str, rng: np.random.Generator, points: int = 240) -> np.ndarray:
    """Raw offsets (T, 3) of a made-up hand: "loops" writes round loops, "zigzag" sharp peaks;
    each line has its own size, and the pen lifts every 40 points."""
    t = np.arange(points) * 0.25 + rng.uniform(0, 6)
    if hand == "loops":
        x, y = 0.6 * t + np.cos(t), np.sin(t)
    else:
        x, y = 0.6 * t, 2 * np.abs((t / np.pi) % 2 - 1) - 1
    size = rng.uniform(10, 60)
    xy = size * np.stack([x, y], axis=1) + rng.normal(0, 0.02 * size, (points, 2))
    offsets = np.zeros((points, 3), dtype=np.float32)
    offsets[1:, :2] = np.diff(xy, axis=0)
    offsets[39::40, 2] = 1.0
    return offsets


def test_embeddings_have_the_embedding_size_and_unit_length():
    torch.manual_seed(0)
    encoder = WriterEncoder(SMALL).eval()
    x, lengths = torch.randn(3, 50, 3), torch.tensor([50, 31, 7])
    embeddings = encoder(x, lengths)
    assert embeddings.shape == (3, 16)
    assert torch.allclose(embeddings.norm(dim=1), torch.ones(3), atol=1e-5)


def test_a_line_embeds_the_same_alone_as_in_a_padded_batch():
    torch.manual_seed(0)
    encoder = WriterEncoder(SMALL).eval()
    rng = np.random.default_rng(0)
    short, long = synthetic_line("loops", rng, 61), synthetic_line("zigzag", rng, 200)
    together = encoder.embed([short, long])
    np.testing.assert_allclose(together[0], encoder.embed([short])[0], atol=1e-5)
    np.testing.assert_allclose(together[1], encoder.embed([long])[0], atol=1e-5)


def test_inputs_do_not_change_when_a_line_is_drawn_larger_or_elsewhere():
    rng = np.random.default_rng(1)
    line = synthetic_line("loops", rng)
    larger = line * np.array([3.7, 3.7, 1.0], dtype=np.float32)
    np.testing.assert_allclose(line_inputs(larger), line_inputs(line), atol=1e-5)
    moved = line.copy()
    moved[0, :2] = [500.0, -200.0]  # the first point elsewhere: the line starts there
    np.testing.assert_allclose(line_inputs(moved)[1:], line_inputs(line)[1:], atol=1e-5)
    torch.manual_seed(0)
    encoder = WriterEncoder(SMALL).eval()
    np.testing.assert_allclose(encoder.embed([larger]), encoder.embed([line]), atol=1e-5)


def test_a_tilted_line_is_no_taller():
    rng = np.random.default_rng(2)
    line = synthetic_line("zigzag", rng, 400).astype(np.float64)
    tilted = line.copy()
    tilted[:, 1] += 0.2 * tilted[:, 0]  # a slope of 0.2 along the line
    assert line_height(tilted) == pytest.approx(line_height(line), rel=0.05)


def test_top1_counts_queries_nearest_their_own_centre():
    references = np.array(
        [
            [[1.0, 0.0, 0.0], [0.8, 0.6, 0.0]],
            [[0.0, 1.0, 0.0], [0.0, 1.0, 0.0]],
            [[0, 0, 1], [0, 0, 1]],
        ]
    )  # (F=3, k=2, D=3)
    form_centres = centres(references)
    np.testing.assert_allclose(np.linalg.norm(form_centres, axis=1), 1.0)
    queries = np.array([[0.9, 0.1, 0.0], [0.1, 0.9, 0.0], [0.0, 0.6, 0.8], [0.0, 0.8, 0.6]])
    assert nearest(form_centres, queries).tolist() == [0, 1, 2, 1]
    assert top1(form_centres, queries, np.array([0, 1, 2, 2])) == 0.75


def _synthetic_split(rng, lines_per_form: int) -> tuple[list[np.ndarray], list[str], list[str]]:
    """Two forms per hand, `lines_per_form` lines each: (lines, texts, line ids)."""
    lines, texts, ids = [], [], []
    for form, hand in [("a01-000a", "loops"), ("a01-000b", "zigzag")]:
        for n in range(lines_per_form):
            lines.append(synthetic_line(hand, rng))
            texts.append(f"line {n}")
            ids.append(f"{form}-{n + 1:02d}")
    return lines, texts, ids


def test_training_tells_two_made_up_hands_apart(tmp_path):
    rng = np.random.default_rng(3)
    lines, _, ids = _synthetic_split(rng, 12)
    options = WriterTrainOptions(
        steps=60, batch_size=16, window=120, lr=3e-3, warmup=5, checkpoint_every=1000
    )
    encoder = train_writer_encoder(
        [lines], [i.rsplit("-", 1)[0] for i in ids], tmp_path / "e.safetensors",
        tmp_path / "state.pt", options, SMALL, log=lambda _: None,
    )  # fmt: skip
    held_out, _, held_ids = _synthetic_split(np.random.default_rng(4), 8)
    assert validation_top1(encoder, held_out, held_ids, k=3) == 1.0
    loaded, notes = load_encoder(tmp_path / "e.safetensors")
    np.testing.assert_allclose(loaded.embed(held_out), encoder.embed(held_out), atol=1e-6)
    assert notes["step"] == 60


def test_a_resumed_run_ends_where_an_unbroken_one_does(tmp_path):
    rng = np.random.default_rng(5)
    lines, _, ids = _synthetic_split(rng, 6)
    forms = [i.rsplit("-", 1)[0] for i in ids]
    options = WriterTrainOptions(steps=8, batch_size=8, window=64, warmup=2, validate_every=4)

    def train(folder: Path, validate):
        return train_writer_encoder(
            [lines], forms, folder / "e.safetensors", folder / "s.pt", options, SMALL,
            validate=validate, log=lambda _: None,
        )  # fmt: skip

    def interrupt(encoder):  # Ctrl-C during the validation after step 4
        raise KeyboardInterrupt

    unbroken = train(tmp_path / "a", lambda encoder: 0.0)
    with pytest.raises(KeyboardInterrupt):
        train(tmp_path / "b", interrupt)
    assert torch.load(tmp_path / "b" / "s.pt", weights_only=True)["step"] == 4
    resumed = train(tmp_path / "b", lambda encoder: 0.0)
    for name, value in unbroken.state_dict().items():
        torch.testing.assert_close(resumed.state_dict()[name], value, msg=name)


def test_a_file_that_is_not_an_encoder_is_refused(tmp_path):
    path = tmp_path / "junk.safetensors"
    path.write_bytes(b"not safetensors at all")
    with pytest.raises(CheckpointError, match="not a writer encoder"):
        load_encoder(path)
    other = tmp_path / "other.safetensors"
    save_file({"w": torch.zeros(2)}, str(other), metadata={"handsynth": "{}"})
    with pytest.raises(CheckpointError, match="not a writer encoder"):
        load_encoder(other)


def test_forms_are_picked_with_enough_lines_and_distinct_texts():
    ids = [f"a01-00{f}-{n:02d}" for f in range(6) for n in range(1, 4 + f)]  # 3 to 8 lines
    options = EvalOptions(forms=3, k=2, texts_per_form=2, min_queries=3, seed=7)
    pool = [f"text {i}" for i in range(10)]
    picked = pick_forms(ids, pool, options)
    assert len({p.form for p in picked}) == 3
    for p in picked:
        assert len(p.references) == 2 and len(p.queries) >= 3
        assert not set(p.references) & set(p.queries)
        assert {ids[i].rsplit("-", 1)[0] for i in p.references + p.queries} == {p.form}
    assert len({t for p in picked for t in p.texts}) == 6
    assert [p.form for p in pick_forms(ids, pool, options)] == [p.form for p in picked]


def test_evaluation_scores_real_lines_and_each_writer():
    rng = np.random.default_rng(8)
    lines, texts, ids = _synthetic_split(rng, 8)
    torch.manual_seed(0)
    encoder = WriterEncoder(SMALL).eval()
    picked = pick_forms(ids, ["x", "y", "z", "w"], EvalOptions(forms=2, k=3, texts_per_form=2))
    constant = lines[0]

    def copies(new_texts, reference_lines, reference_texts):  # the form's own hand
        return [reference_lines[n % len(reference_lines)] for n in range(len(new_texts))]

    result = evaluate(
        encoder, lines, texts, picked, {"same": lambda t, r, s: [constant] * len(t), "own": copies}
    )
    assert set(result) == {"ceiling", "same", "own"}
    assert result["same"] == 0.5  # every line goes to one form of two
    assert result["own"] == 1.0  # a reference line is nearest its own centre (k=3, 2 forms)


class ReadsOneWord:
    """Stands in for `reader.LineReader`: reads every line as "x"."""

    alphabet = Alphabet(list(" xyzw"))

    def read(self, lines):
        return ["x"] * len(lines)


def test_with_a_reader_the_real_and_the_written_lines_are_read():
    rng = np.random.default_rng(8)
    lines, texts, ids = _synthetic_split(rng, 8)
    texts = ["x" if n % 2 else "xy" for n in range(len(texts))]
    torch.manual_seed(0)
    encoder = WriterEncoder(SMALL).eval()
    picked = pick_forms(ids, ["x", "yz", "x", "w"], EvalOptions(forms=2, k=3, texts_per_form=2))
    result = evaluate(
        encoder, lines, texts, picked, {"own": lambda t, r, s: r[: len(t)]}, ReadsOneWord()
    )
    real = [texts[i] for p in picked for i in p.queries]
    assert result["ceiling_cer"] == pytest.approx(real.count("xy") / sum(map(len, real)))
    wanted = [t for p in picked for t in p.texts]
    misread = sum(len(t) - (t[0] == "x") for t in wanted)  # "x" read right, the rest lost
    assert result["own_cer"] == pytest.approx(misread / sum(map(len, wanted)))
    assert {"own_seen", "own_unseen"} <= set(result)


def test_misreadings_are_split_by_whether_the_references_show_the_letter():
    alphabet = Alphabet(list(" abcdxyz"))
    readings = ["abc xy", "dd"]
    texts = ["abd xyz", "db"]
    shown = [set("ab x"), set("b")]
    # Line 1: a b x shown, d y z not; d read as c, z missing. Line 2: b shown and read as d.
    seen, unseen = misread_by_seen(readings, texts, shown, alphabet)
    assert seen == pytest.approx(1 / 4)  # a b x (line 1), b (line 2): b misread
    assert unseen == pytest.approx(2 / 4)  # d y z (line 1), d (line 2): d and z misread


@pytest.mark.skipif(not SHIPPED.is_file(), reason="no shipped writer encoder")
def test_the_shipped_encoder_loads_and_embeds():
    encoder, notes = load_encoder(SHIPPED)
    embeddings = encoder.embed([synthetic_line("loops", np.random.default_rng(9))])
    assert embeddings.shape == (1, encoder.config.embedding_size)
    assert np.linalg.norm(embeddings) == pytest.approx(1.0, abs=1e-5)
    assert sum(p.numel() for p in encoder.parameters()) < 500_000


@pytest.mark.skipif(
    not (SHIPPED.is_file() and (PREPARED / "valid.npz").is_file()), reason="no prepared data"
)
def test_the_shipped_encoder_finds_real_held_out_forms_well_above_chance():
    from handsynth.data.prepare import load_prepared

    encoder, _ = load_encoder(SHIPPED)
    lines, texts, ids = load_prepared(PREPARED, "valid")
    picked = pick_forms(ids, texts, EvalOptions(seed=0))
    assert evaluate(encoder, lines, texts, picked, {})["ceiling"] > 0.3  # chance is 0.05


def test_padding_inputs_keeps_each_line():
    lines = [np.ones((4, 3), np.float32), np.full((2, 3), 2.0, np.float32)]
    x, lengths = pad_inputs(lines)
    assert x.shape == (2, 4, 3) and lengths.tolist() == [4, 2]
    assert x[1, 2:].abs().sum() == 0 and x[1, :2].eq(2).all()


def test_a_primed_writer_skips_a_reference_line_that_does_not_write_its_text():
    from handsynth.loaded import load_model
    from handsynth.options import WriteOptions
    from handsynth.write.lines import write_lines
    from handsynth.write.styles import shipped_normalisation, shipped_styles

    model = load_model()
    style, style_text = shipped_styles()[0]
    raw = shipped_normalisation().denormalise(style)
    wrong_text = "nothing like the words this line says at all, not one"
    options = WriteOptions(seed=2, wrap=0, candidates=1, retries=0)
    writer = synthesis_writer(model, primed=True, options=options)
    new_texts = ["ab cd", "ef"]

    def direct(prime):
        args = (model.synthesis_stepping(), model.alphabet, model.normalisation, new_texts)
        drawn = write_lines(*args, options, prime, guide=model.guide(options))
        return [line.offsets for line in drawn]

    primed = writer(new_texts, [raw, raw], [wrong_text, style_text])
    expected = direct((model.normalisation.normalise(raw), style_text))
    for ours, theirs in zip(primed, expected, strict=True):
        np.testing.assert_array_equal(ours, theirs)
    unprimed = writer(new_texts, [raw], [wrong_text])  # no reference fits: written unprimed
    for ours, theirs in zip(unprimed, direct(None), strict=True):
        np.testing.assert_array_equal(ours, theirs)
