"""An online handwriting recogniser: pen offsets in, characters out, trained with CTC.

It measures how legible handwriting is (`eval/`): a bidirectional LSTM reads the whole line
(Graves et al. 2009 read online handwriting the same way) and connectionist temporal classification
(CTC, Graves et al. 2006) aligns its per-frame character distributions with the transcription.
Pairs of pen steps are stacked into one frame first, which halves the sequence the LSTM runs over;
IAM-OnDB lines have about 25 points per character, so frames stay far more numerous than letters.

The CTC blank is the last class (index `alphabet_size`), so character indices are the alphabet's.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from handsynth.data.dataset import HandwritingBatch
from handsynth.nn.configs import RecogniserConfig
from handsynth.nn.mdn import clip_gradient
from handsynth.nn.models import PEN_INPUT_SIZE, Clipped


class Recogniser(Clipped):
    """Bidirectional LSTM over frames of stacked pen offsets -> log-probabilities for CTC.

    The trainer's `output_clip` bounds the derivatives at the logits; `lstm_clip` does not apply
    (the fused `nn.LSTM` exposes no per-layer outputs to clip).
    """

    kind = "recogniser"

    def __init__(self, config: RecogniserConfig):
        super().__init__()
        self.config = config
        self.lstm = nn.LSTM(
            PEN_INPUT_SIZE * config.frame_steps,
            config.hidden_size,
            config.num_layers,
            batch_first=True,
            bidirectional=True,
        )
        self.head = nn.Linear(2 * config.hidden_size, config.alphabet_size + 1)

    @property
    def blank(self) -> int:
        return self.config.alphabet_size

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """x (B, T, 3) normalised offsets, lengths (B,) real steps -> log_probs (T', B, C), (B,).

        C = alphabet_size + 1 and T' = ceil(T / frame_steps). Packing keeps padding out of both
        directions.
        """
        B, T, _ = x.shape
        F_ = self.config.frame_steps
        steps = torch.arange(T, device=x.device)
        x = x * (steps < lengths.to(x.device).unsqueeze(1)).unsqueeze(-1)  # zero the padding
        x = F.pad(x, (0, 0, 0, -T % F_))  # (B, F_ * T', 3)
        frames = x.reshape(B, -1, PEN_INPUT_SIZE * F_)  # (B, T', 3 F_) stacked steps
        out_lengths = (lengths.cpu().long() + F_ - 1) // F_  # (B,)
        packed = pack_padded_sequence(frames, out_lengths, batch_first=True, enforce_sorted=False)
        h, _ = self.lstm(packed)
        h, _ = pad_packed_sequence(h, batch_first=True, total_length=frames.shape[1])  # (B, T', 2H)
        logits = clip_gradient(self.head(h), self.output_clip)  # (B, T', C)
        return logits.log_softmax(-1).transpose(0, 1), out_lengths


def ctc_per_sequence(
    log_probs: torch.Tensor,
    out_lengths: torch.Tensor,
    chars: torch.Tensor,
    char_mask: torch.Tensor,
) -> torch.Tensor:
    """CTC negative log-likelihood of each line's transcription, in nats: (B,).

    log_probs (T', B, C) and out_lengths (B,) as the recogniser returns them; chars (B, U) and
    char_mask (B, U) the padded transcriptions. A line whose frames are too few for its text has no
    alignment; it scores 0 rather than infinity (zero_infinity).
    """
    return F.ctc_loss(
        log_probs,
        chars,
        out_lengths,
        char_mask.sum(1).long().cpu(),
        blank=log_probs.shape[-1] - 1,
        reduction="none",
        zero_infinity=True,
    )


def ctc_loss(model: Recogniser, batch: HandwritingBatch) -> torch.Tensor:
    """Mean over the batch of the CTC nats per line."""
    log_probs, out_lengths = model(batch.inputs, batch.mask.sum(1).long())
    return ctc_per_sequence(log_probs, out_lengths, batch.chars, batch.char_mask).mean()
