"""Metrics of a loaded model on data, as `handsynth eval` prints them: nats per line and SSE for
handwriting (Graves Tables 3-4), the character error rate for the recogniser, bits per symbol for
text (Table 1), with dynamic evaluation (§3). The training tasks (`train/tasks.py`) hold the data
and compute the numbers; this module picks the task that fits the model.
"""

from __future__ import annotations

import copy
from pathlib import Path

from handsynth.errors import UserError
from handsynth.loaded import LoadedModel, PredictionModel, RecogniserModel, TextModel
from handsynth.train.tasks import HandwritingTask, RecognitionTask, TextTask


def evaluate(
    model: LoadedModel,
    data: str | Path,
    split: str | None = None,
    batch_size: int = 32,
    dynamic: bool = False,
) -> dict:
    """Metrics of `model` on a split of `data`: a prepared handwriting folder (split valid or
    train; nats per line and SSE, or CER for a recogniser) or a text corpus (split test by
    default, valid for enwik8, which has no test split; bits per symbol and per character,
    word perplexity for the Penn Treebank, with `dynamic` evaluation as in Graves §3).

    Handwriting is normalised with the model's own statistics, the inputs it was trained on;
    data whose alphabet differs from the model's is refused where characters are read.
    """
    if isinstance(model, TextModel):
        return _evaluate_text(model, data, split, dynamic)
    if dynamic:
        raise UserError("dynamic evaluation applies to text models only")
    split = split or "valid"
    if split not in ("valid", "train"):
        raise UserError(f"the split must be valid or train for handwriting, not {split!r}")
    if isinstance(model, RecogniserModel):
        task = RecognitionTask(data, model.normalisation)
    else:
        task = HandwritingTask(model.kind, data, model.normalisation)
    if not isinstance(model, PredictionModel) and task.alphabet != model.alphabet:
        raise UserError(
            f"{data} was prepared with another alphabet than the model was trained on; "
            "prepare it with the same alphabet options"
        )
    lines = task.valid if split == "valid" else task.train
    return task.evaluate(model.network, batch_size=batch_size, device=model.device, data=lines)


def _evaluate_text(model: TextModel, data: str | Path, split: str | None, dynamic: bool) -> dict:
    task = TextTask(data, model.level, 1, model.bptt)
    if task.alphabet != model.alphabet:
        raise UserError(f"{data} has other symbols than the model was trained on")
    # Dynamic evaluation trains the weights it scores; the model's own stay as they are.
    network = copy.deepcopy(model.network) if dynamic else model.network
    split = split or task.corpus.held_out_split()
    return task.evaluate(network, split=split, device=model.device, dynamic=dynamic)
