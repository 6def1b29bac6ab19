"""A sheet of styles: each style's own line, then a sample written in it, for `handsynth styles
preview`. The sampling is the caller's (`SynthesisModel.write`); this lays the lines out as one
page that `Handwriting.save` writes in any of its formats."""

from __future__ import annotations

import numpy as np

from handsynth.write.handwriting import Handwriting

GAP = np.zeros((0, 3), np.float32)  # an empty line between two styles


def style_sheet(styles: list[tuple[np.ndarray, str]], samples: list[Handwriting]) -> Handwriting:
    """Per style (its raw pen offsets (T, 3) and its text) its own line, then the lines of its
    sample, then an empty line; styles and samples pair up in order."""
    offsets: list[np.ndarray] = []
    texts: list[str] = []
    for (line, text), sample in zip(styles, samples, strict=True):
        offsets += [np.asarray(line, np.float32), *sample.offsets, GAP]
        texts += [text, *sample.texts, ""]
    return Handwriting(offsets[:-1], texts[:-1], [[] for _ in offsets[:-1]])
