"""The numpy reader computes what the torch recogniser computes, and ranks by edit distance."""

import numpy as np
import torch

from handsynth.data.alphabet import Alphabet
from handsynth.data.strokes import Normalisation
from handsynth.nn.ctc import collapse_path
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
