"""What the trainer trains on: handwriting lines (prediction, synthesis, the recogniser) or a text
stream (text).

A task knows its data, the batches of an epoch, the loss of a batch and how to evaluate a model; the
training loop in `loop.py` is the same for all of them.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from handsynth.data.alphabet import Alphabet
from handsynth.data.dataset import (
    Augmentation,
    HandwritingBatch,
    HandwritingData,
    load_handwriting,
    load_joined_handwriting,
)
from handsynth.data.prepare import load_metadata
from handsynth.data.rare import RARE_WEIGHTINGS
from handsynth.data.strokes import Normalisation
from handsynth.data.text_corpus import (
    TextCorpus,
    batchify,
    bits_per_symbol,
    load_enwik8,
    load_plain_text,
    load_ptb,
    window,
)
from handsynth.errors import UserError
from handsynth.nn import mdn
from handsynth.nn.char_errors import character_errors
from handsynth.nn.ctc import character_error_rate, read_texts
from handsynth.nn.recogniser import ctc_loss, ctc_per_sequence
from handsynth.sample.text import sample_text
from handsynth.train.splice import Splicing


def move(batch, device):
    """The batch's tensors on `device`."""
    if isinstance(batch, HandwritingBatch):
        return HandwritingBatch(*(t.to(device) for t in vars(batch).values()))
    return tuple(t.to(device) for t in batch)


class HandwritingTask:
    """Prediction or synthesis network trained on prepared IAM-OnDB lines (`handsynth prepare`)."""

    best_metric = "nll_per_sequence"  # the validation metric whose minimum picks best.pt
    rare_share = 0.002  # a character rarer than 1 in 500 is oversampled (`rare_character_repeats`)

    def __init__(self, kind: str, data_dir: str | Path, normalisation: Normalisation | None = None):
        """Lines normalised with the data's own statistics (training), or with `normalisation`,
        a trained model's, to evaluate that model on the inputs it was trained with."""
        self.kind = kind
        self.data_dir = data_dir
        metadata = load_metadata(data_dir)
        self.alphabet = Alphabet.from_json(metadata["alphabet"])
        if normalisation is None:
            normalisation = Normalisation.from_json(metadata["normalisation"])
        self.normalisation = normalisation
        mean, std = self.normalisation.mean, self.normalisation.std
        self.train = load_handwriting(data_dir, "train", self.alphabet, mean, std)
        self.valid = load_handwriting(data_dir, "valid", self.alphabet, mean, std)
        self.repeats: np.ndarray | None = None  # (L,) appearances of each line an epoch
        self.rank, self.world = 0, 1

    def oversample_rare(self, max_repeats: int, weighting: str = "per-character") -> None:
        """Show the training lines that hold rare characters (digits, capitals, j q x z,
        punctuation) more often, at most `max_repeats` times an epoch (1: every line once):
        "per-character" once more per rare character a line holds, "rarest" as often as its
        rarest character falls short of the rare share (`RARE_WEIGHTINGS`)."""
        self.repeats = (
            RARE_WEIGHTINGS[weighting](
                self.train.chars, len(self.alphabet), self.rare_share, max_repeats
            )
            if max_repeats > 1
            else None
        )

    def add_joined_lines(self) -> None:
        """Train also on each pair of consecutive lines of one writer joined into one line
        (`line_pairs`): the network learns to go on in the hand it has just read (priming)."""
        mean, std = self.normalisation.mean, self.normalisation.std
        self.train = self.train + load_joined_handwriting(
            self.data_dir, "train", self.alphabet, mean, std
        )

    def shard(self, rank: int, world: int) -> None:
        """Train on every world-th batch of each epoch, starting at `rank` (data parallelism)."""
        self.rank, self.world = rank, world

    def model_config(self, **overrides) -> dict:
        if self.kind == "synthesis":
            overrides["alphabet_size"] = len(self.alphabet)
        return overrides

    def data_info(self) -> dict:
        """What a checkpoint needs to sample on its own."""
        return {
            "alphabet": self.alphabet.to_json(),
            "normalisation": self.normalisation.to_json(),
        }

    def epoch_batches(self, batch_size: int, seed: int, epoch: int) -> list:
        order = self.train.epoch_order(batch_size, seed, epoch, self.repeats)
        return order[self.rank :: self.world]

    def iter_batches(self, order: list, start: int, state: dict) -> Iterator[HandwritingBatch]:
        return self.train.iter_batches(order, start)

    def loss(self, model, batch: HandwritingBatch, state: dict) -> tuple[torch.Tensor, int]:
        """Mean over the batch of the nats per sequence; and the number of pen points predicted."""
        params = self._params(model, batch)
        return mdn.nll(params, batch.targets, batch.mask).mean(), batch.num_points

    def _params(self, model, batch: HandwritingBatch) -> mdn.MixtureParams:
        if self.kind == "synthesis":
            params, _ = model(batch.inputs, batch.chars, batch.char_mask)
        else:
            params, _ = model(batch.inputs)
        return params

    @torch.no_grad()
    def evaluate(self, model, batch_size: int = 32, device="cpu", data: HandwritingData = None):
        """Validation log-loss (nats per sequence and per point) and SSE per sequence."""
        data = data or self.valid
        total_nll = total_sse = total_points = 0.0
        for indices in _progress(data.sequential_order(batch_size), "evaluating"):
            batch = move(data.batch(indices), device)
            params = self._params(model, batch)
            total_nll += float(mdn.nll(params, batch.targets, batch.mask).sum())
            total_sse += float(mdn.squared_error(params, batch.targets, batch.mask).sum())
            total_points += batch.num_points
        n = len(data)
        return {
            "nll_per_sequence": total_nll / n,
            "nll_per_point": total_nll / total_points,
            "sse_per_sequence": total_sse / n,
            "sequences": n,
            "points": int(total_points),
        }


class RecognitionTask(HandwritingTask):
    """The recogniser trained with CTC on prepared IAM-OnDB lines; best.pt has the lowest CER."""

    best_metric = "cer"

    def __init__(self, data_dir: str | Path, normalisation: Normalisation | None = None):
        super().__init__("recogniser", data_dir, normalisation)
        self.augmentation: Augmentation | None = None
        self.splicing: Splicing | None = None

    def augment(self, augmentation: Augmentation | None) -> None:
        """Train on randomly rescaled and slanted copies of the lines (None: the lines as they
        are). Each batch's changes are drawn from its line indices, so a resumed run repeats
        them."""
        self.augmentation = augmentation

    def splice(self, splicing: Splicing | None) -> None:
        """Train on lines with a word of real cut characters written after them (`splice.py`);
        drawn, like the augmentation, from each batch's line indices."""
        self.splicing = splicing

    def iter_batches(self, order: list, start: int, state: dict) -> Iterator[HandwritingBatch]:
        if self.augmentation is None and self.splicing is None:
            yield from self.train.iter_batches(order, start)
            return
        for indices in order[start:]:
            rng = np.random.default_rng(indices)
            offsets, chars = [], []
            for i in indices:
                line, text = self.train.offsets[i], self.train.chars[i]
                if self.splicing is not None:
                    line, text = self.splicing.apply(line, text, self.normalisation, rng)
                if self.augmentation is not None:
                    line = self.augmentation.apply(line, self.normalisation, rng)
                offsets.append(line)
                chars.append(text)
            texts = ["".join(self.alphabet.decode(text)) for text in chars]
            yield HandwritingData(offsets, chars, texts).batch(np.arange(len(indices)))

    def model_config(self, **overrides) -> dict:
        return {"alphabet_size": len(self.alphabet), **overrides}

    def loss(self, model, batch: HandwritingBatch, state: dict) -> tuple[torch.Tensor, int]:
        """Mean CTC nats per line; and the number of characters transcribed."""
        return ctc_loss(model, batch), int(batch.char_mask.sum())

    @torch.no_grad()
    def evaluate(self, model, batch_size: int = 32, device="cpu", data: HandwritingData = None):
        """Greedy-decoding CER and CTC nats per line over the validation lines (or `data`), and
        the error rate of each class of character (`nn.char_errors`)."""
        data = data or self.valid
        total_nats, predictions, references = 0.0, [], []
        for indices in _progress(data.sequential_order(batch_size), "recognising"):
            batch = move(data.batch(indices), device)
            log_probs, out_lengths = model(batch.inputs, batch.mask.sum(1).long())
            nats = ctc_per_sequence(log_probs, out_lengths, batch.chars, batch.char_mask)
            total_nats += float(nats.sum())
            predictions += read_texts(log_probs, out_lengths, self.alphabet)
            references += ["".join(self.alphabet.decode(data.chars[i])) for i in indices]
        classes = character_errors(predictions, references)["classes"]
        return {
            "cer": character_error_rate(predictions, references),
            "ctc_per_sequence": total_nats / len(data),
            "sequences": len(data),
            "classes": {name: errors["error_rate"] for name, errors in classes.items()},
        }


def _progress(items, what: str):
    """A progress bar over `items` on a terminal (stderr), nothing otherwise."""
    return tqdm(items, desc=what, leave=False, disable=None)


def load_corpus(path: str | Path, level: str) -> TextCorpus:
    """Penn Treebank from its zip (char or word level), enwik8, or any plain text file (chars)."""
    path = Path(path)
    if path.suffix == ".zip":
        return load_ptb(path, level)
    if level == "word":
        raise UserError(f"{path}: word level needs the Penn Treebank zip; plain text is char level")
    if "enwik8" in path.name:
        return load_enwik8(path)
    return load_plain_text(path)


class TextTask:
    """Next-symbol prediction on a text stream with truncated backpropagation through time."""

    kind = "text"
    best_metric = "bits_per_symbol"  # the validation metric whose minimum picks best.pt

    def __init__(self, corpus_path: str | Path, level: str, batch_size: int, bptt: int):
        self.corpus_path = Path(corpus_path)
        self.corpus = load_corpus(corpus_path, level)
        self.level = level
        self.alphabet = self.corpus.alphabet
        self.bptt = bptt
        self.stream = batchify(self.corpus.splits["train"], batch_size)  # (B, N)

    def add_joined_lines(self) -> None:
        """Train also on each pair of consecutive lines of one writer joined into one line
        (`line_pairs`): the network learns to go on in the hand it has just read (priming)."""
        mean, std = self.normalisation.mean, self.normalisation.std
        self.train = self.train + load_joined_handwriting(
            self.data_dir, "train", self.alphabet, mean, std
        )

    def shard(self, rank: int, world: int) -> None:
        """Train on every world-th stream (row), so each process keeps its hidden state whole."""
        self.stream = self.stream[rank::world]

    def model_config(self, **overrides) -> dict:
        return {"vocab_size": len(self.alphabet), **overrides}

    def data_info(self) -> dict:
        return {"alphabet": self.alphabet.to_json(), "level": self.level}

    def sample_text(self, model, length: int = 200) -> str:
        """A sample printed during training, as char-rnn does."""
        symbols = sample_text(model, self.alphabet, length=length)
        return (" " if self.level == "word" else "").join(symbols)

    def epoch_batches(self, batch_size: int, seed: int, epoch: int) -> list:
        """Window start positions along the stream; in order, as the hidden state carries over."""
        return list(range(0, self.stream.shape[1] - 1, self.bptt))

    def iter_batches(self, order: list, start: int, state: dict) -> Iterator[tuple]:
        if start == 0:
            state.pop("hidden", None)
        for i in order[start:]:
            tokens = torch.from_numpy(window(self.stream, i, self.bptt + 1))  # (B, T + 1)
            yield tokens[:, :-1], tokens[:, 1:]

    def loss(self, model, batch: tuple, state: dict) -> tuple[torch.Tensor, int]:
        """Mean nats per symbol; the hidden state carries over between windows, detached."""
        inputs, targets = batch
        logits, hidden = model(inputs, state.get("hidden"))
        state["hidden"] = [(h.detach(), c.detach()) for h, c in hidden]
        loss = F.cross_entropy(logits.flatten(0, 1), targets.flatten())
        return loss, targets.numel()

    def evaluate(
        self, model, split: str = "valid", device="cpu", dynamic: bool = False, lr: float = 1e-4
    ) -> dict:
        """Bits per symbol over a whole split, read as one stream, and the same loss per character
        of text (and per word, for the Penn Treebank) so that character and word models compare
        (Graves 2013 Table 1; `text_corpus` says what is counted).

        With `dynamic`, the weights keep learning while they are evaluated (Graves 2013 §3): each
        window is scored first, then used for one RMSProp step, so no symbol is seen before scored.
        """
        from handsynth.train.optim import GravesRMSProp

        if split not in self.corpus.splits:
            have = ", ".join(self.corpus.splits)
            raise UserError(f"{self.corpus_path} has no {split} split (it has {have})")
        _scoring_mode(model, dynamic)
        stream = batchify(self.corpus.splits[split], 1)  # (1, N)
        characters, words = self.corpus.count_text(stream[0, 1:])  # what the N - 1 targets spell
        optimizer = GravesRMSProp(model.parameters(), lr=lr) if dynamic else None
        hidden, total_nats, count = None, 0.0, 0
        for i in _progress(range(0, stream.shape[1] - 1, self.bptt), "evaluating"):
            tokens = torch.from_numpy(window(stream, i, self.bptt + 1)).to(device)  # (1, T + 1)
            inputs, targets = tokens[:, :-1], tokens[:, 1:]
            with torch.set_grad_enabled(dynamic):
                logits, hidden = model(inputs, hidden)
                loss = F.cross_entropy(logits.flatten(0, 1), targets.flatten(), reduction="sum")
            total_nats += loss.item()
            count += targets.numel()
            hidden = [(h.detach(), c.detach()) for h, c in hidden]
            if optimizer is not None:
                optimizer.zero_grad()
                (loss / targets.numel()).backward()
                optimizer.step()
        nats = total_nats / count
        metrics = {
            "nats_per_symbol": nats,
            "bits_per_symbol": bits_per_symbol(nats),
            "perplexity": math.exp(nats),
            "symbols": count,
            "bits_per_character": bits_per_symbol(total_nats / characters),
            "characters": characters,
        }
        if words is not None:
            metrics["word_perplexity"] = math.exp(total_nats / words)
            metrics["words"] = words
        return metrics


def _scoring_mode(model: torch.nn.Module, dynamic: bool) -> None:
    """Dropout off while scoring. Dynamic evaluation backpropagates, which cuDNN's LSTM does only
    in training mode, so there the rest of the network stays in training mode."""
    model.train(dynamic)
    for module in model.modules():
        if isinstance(module, torch.nn.Dropout):
            module.eval()


def make_task(kind: str, data: str | Path, level: str, batch_size: int, bptt: int):
    """The task that trains a `kind` network: on a text corpus (text) or a prepared folder."""
    if kind == "text":
        return TextTask(data, level, batch_size, bptt)
    if kind == "recogniser":
        return RecognitionTask(data)
    return HandwritingTask(kind, data)
