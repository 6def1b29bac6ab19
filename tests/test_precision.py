"""The bfloat16 probe agrees with what the hardware actually runs."""

import pytest
import torch

from handsynth.train.precision import PrecisionUnsupported, bf16_supported, require_bf16


def run_bf16_lstm() -> torch.Tensor:
    lstm = torch.nn.LSTM(8, 8, batch_first=True)
    x = torch.randn(2, 3, 8, requires_grad=True)
    with torch.autocast("cpu", torch.bfloat16):
        out, _ = lstm(x)
    out.float().sum().backward()
    return x.grad


def test_probe_matches_a_real_bf16_lstm():
    if bf16_supported("cpu"):
        assert torch.isfinite(run_bf16_lstm()).all()
        require_bf16("cpu")
    else:
        with pytest.raises(RuntimeError):
            run_bf16_lstm()
        with pytest.raises(PrecisionUnsupported, match="AVX512-BF16 or AMX"):
            require_bf16("cpu")


def test_no_cuda_means_no_cuda_bf16():
    if not torch.cuda.is_available():
        assert bf16_supported("cuda") is False
