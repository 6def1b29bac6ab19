"""Which reduced-precision arithmetic this machine runs, found once by trying it.

bfloat16 LSTM products need hardware support: on CPUs, oneDNN's bf16 LSTM needs AVX512-BF16 or
AMX and refuses to build its kernel on AVX2-only processors ("could not create a primitive
descriptor"). Rather than read CPU flags, which say nothing of what the installed torch can use,
the probe runs one tiny fused LSTM step forward and backward under bf16 autocast.
"""

from __future__ import annotations

import functools

import torch

from handsynth.errors import FieldError


class PrecisionUnsupported(FieldError):
    """bfloat16 was asked for on a device that cannot run it."""


@functools.cache
def bf16_supported(device_type: str = "cpu") -> bool:
    """True when a bf16-autocast LSTM runs forward and backward on `device_type` ("cpu", "cuda")."""
    if device_type == "cuda":
        return torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    lstm = torch.nn.LSTM(4, 4, batch_first=True).to(device_type)
    x = torch.zeros(1, 2, 4, device=device_type, requires_grad=True)  # (B, T, I)
    try:
        with torch.autocast(device_type, torch.bfloat16):
            out, _ = lstm(x)
        out.float().sum().backward()
    except RuntimeError:
        return False
    return True


def require_bf16(device_type: str) -> None:
    """Raise PrecisionUnsupported, saying what to do, where bf16 cannot run on `device_type`."""
    if not bf16_supported(device_type):
        hardware = "AVX512-BF16 or AMX" if device_type == "cpu" else "a GPU with bfloat16"
        raise PrecisionUnsupported(
            "bf16",
            f"this {device_type.upper()} cannot run bfloat16 LSTM products (they need {hardware}); "
            "run without {field} to train in float32",
        )
