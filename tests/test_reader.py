"""The numpy reader computes what the torch recogniser computes: its outputs, its readings and its
doubt in a text (the CTC loss)."""

import numpy as np
import pytest
import torch

from handsynth.data.alphabet import Alphabet
from handsynth.data.strokes import Normalisation
from handsynth.nn.ctc import collapse_path, text_log_likelihoods
from handsynth.nn.recogniser import Recogniser, RecogniserConfig
from handsynth.sample.reader import LineReader

ALPHABET = Alphabet(list(" abcdefgh"))
NORMALISATION = Normalisation(np.array([0.5, -0.2]), np.array([2.0, 3.0]))


def reader_and_recogniser(seed: int = 0) -> tuple[LineReader, Recogniser]:
    torch.manual_seed(seed)
    config = RecogniserConfig(alphabet_size=len(ALPHABET), hidden_size=6, num_layers=2)
    recogniser = Recogniser(config).eval()
    arrays = {k: v.detach().numpy() for k, v in recogniser.state_dict().items()}
    reader = LineReader(arrays, config.num_layers, config.frame_steps, ALPHABET, NORMALISATION)
    return reader, recogniser


def test_logits_equal_the_torch_recogniser_on_lines_of_different_lengths():
    reader, recogniser = reader_and_recogniser()
    rng = np.random.default_rng(0)
    lines = [rng.normal(size=(T, 3)).astype(np.float32) for T in (13, 4, 9)]
    for line in lines:
        line[:, 2] = rng.random(len(line)) < 0.2
    logits, lengths = reader.logits(lines)
    T = max(len(line) for line in lines)
    x = torch.zeros(len(lines), T, 3)  # (B, T, 3) normalised, zero padded
    for row, line in enumerate(lines):
        x[row, : len(line)] = torch.from_numpy(NORMALISATION.normalise(line))
    with torch.no_grad():
        log_probs, out_lengths = recogniser(x, torch.tensor([len(line) for line in lines]))
    assert lengths.tolist() == out_lengths.tolist() == [4, 1, 3]  # frames of 4 steps, rounded up
    expected = log_probs.transpose(0, 1).numpy()  # (B, T', C)
    ours = torch.from_numpy(logits).log_softmax(-1).numpy()
    for row, n in enumerate(lengths):
        np.testing.assert_allclose(ours[row, :n], expected[row, :n], atol=1e-5)


def test_best_paths_merge_runs_and_drop_blanks():
    blank = 9
    assert collapse_path([1, 1, 9, 1, 2, 2, 9, 9, 3], blank) == [1, 1, 2, 3]
    assert collapse_path([9, 9], blank) == []


def test_texts_are_compared_as_the_alphabet_spells_them():
    assert Alphabet.reduced().spell("Mr. 42 go") == "Mr. ## go"  # digits fold into one symbol
    assert ALPHABET.spell("bad cafe") == "bad cafe"


def test_the_doubt_in_a_text_is_the_torch_ctc_loss_per_character():
    reader, recogniser = reader_and_recogniser(seed=1)
    rng = np.random.default_rng(1)
    lines = [rng.normal(size=(T, 3)).astype(np.float32) for T in (40, 17, 30, 8)]
    texts = ["bad cafe", "ha", "", "abcdefgh"]  # the last needs more frames than its line has
    readings = reader.read_against(lines, texts)
    assert [r.text for r in readings] == reader.read(lines)
    doubts = np.array([r.doubt for r in readings])
    T = max(len(line) for line in lines)
    x = torch.zeros(len(lines), T, 3)
    for row, line in enumerate(lines):
        x[row, : len(line)] = torch.from_numpy(NORMALISATION.normalise(line))
    with torch.no_grad():
        log_probs, lengths = recogniser(x, torch.tensor([len(line) for line in lines]))
    labels = [torch.from_numpy(ALPHABET.encode(text)).long() for text in texts]
    nats = torch.nn.functional.ctc_loss(
        log_probs,
        torch.cat(labels),
        lengths,
        torch.tensor([len(t) for t in labels]),
        blank=len(ALPHABET),
        reduction="none",
    )
    per_character = nats / torch.tensor([max(len(t), 1) for t in texts])
    np.testing.assert_allclose(doubts[:3], per_character[:3].numpy(), rtol=1e-5)
    assert doubts[3] == np.inf == per_character[3]


def test_the_forward_algorithm_sums_every_alignment_of_a_short_text():
    # Two frames, classes {a, blank}: "a" is aligned as (a, a), (a, blank) or (blank, a).
    p = np.array([[[0.6, 0.4], [0.3, 0.7]]])  # (B, T', C) probabilities
    likely = text_log_likelihoods(np.log(p), np.array([2]), [[0]], blank=1)
    assert np.exp(likely[0]) == pytest.approx(0.6 * 0.3 + 0.6 * 0.7 + 0.4 * 0.3)
    empty = text_log_likelihoods(np.log(p), np.array([2]), [[]], blank=1)
    assert np.exp(empty[0]) == pytest.approx(0.4 * 0.7)
