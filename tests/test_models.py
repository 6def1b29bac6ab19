"""Tests of handsynth.nn.backbone and handsynth.nn.models: recurrence, state, window, rebuild."""

from dataclasses import asdict

import pytest
import torch

from handsynth.nn.backbone import DeepLSTM
from handsynth.nn.checkpoint import build_model
from handsynth.nn.mdn import MixtureParams, nll
from handsynth.nn.models import (
    PredictionConfig,
    PredictionNetwork,
    SynthesisConfig,
    SynthesisNetwork,
    TextConfig,
    TextNetwork,
)
from handsynth.train.precision import bf16_supported

A = 6  # alphabet size of the tiny synthesis models


def pen_input(B=2, T=7, seed=0, dtype=torch.float32):
    g = torch.Generator().manual_seed(seed)
    xy = torch.randn(B, T, 2, generator=g, dtype=dtype)
    eos = torch.randint(0, 2, (B, T, 1), generator=g).to(dtype)
    return torch.cat([xy, eos], dim=-1)


def cat_params(chunks):
    return MixtureParams(*(torch.cat(parts, dim=1) for parts in zip(*chunks, strict=True)))


def assert_params_close(a, b, atol=1e-5):
    for name, x, y in zip(MixtureParams._fields, a, b, strict=True):
        torch.testing.assert_close(x, y, atol=atol, rtol=1e-5, msg=name)


def tiny_prediction():
    torch.manual_seed(0)
    return PredictionNetwork(PredictionConfig(hidden_size=8, num_layers=3, num_mixtures=2)).eval()


def tiny_synthesis(**kw):
    torch.manual_seed(0)
    cfg = dict(alphabet_size=A, hidden_size=8, num_layers=3, num_mixtures=2, num_window_gaussians=2)
    return SynthesisNetwork(SynthesisConfig(**{**cfg, **kw})).eval()


def chars_and_mask(seed=0):
    g = torch.Generator().manual_seed(seed)
    chars = torch.randint(0, A, (2, 5), generator=g)
    mask = torch.tensor([[True] * 5, [True, True, True, False, False]])
    return chars, mask


def test_step_layer_equals_fused_lstm():
    torch.manual_seed(0)
    backbone = DeepLSTM(input_size=3, hidden_size=8, num_layers=2, context_size=4)
    x = torch.randn(2, 6, 7)
    fused, (h_n, c_n) = backbone.layers[0](x)
    h = c = torch.zeros(2, 8)
    weights = backbone.layer_weights(0)
    steps = []
    for t in range(x.shape[1]):
        h, c = backbone.step_layer(x[:, t], (h, c), weights)
        steps.append(h)
    torch.testing.assert_close(torch.stack(steps, 1), fused, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(h, h_n[0], atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(c, c_n[0], atol=1e-5, rtol=1e-5)


def test_backbone_skip_connections():
    torch.manual_seed(0)
    In, H, C = 3, 8, 4
    backbone = DeepLSTM(input_size=In, hidden_size=H, num_layers=3, context_size=C)
    assert backbone.layers[0].input_size == In + C
    assert backbone.layers[1].input_size == In + C + H
    assert backbone.layers[2].input_size == In + C + H
    assert backbone.output_size == 3 * H
    x, ctx = torch.randn(2, 4, In), torch.randn(2, 4, C)
    state = backbone.initial_state(x, 2)
    out, _ = backbone(x, state, context=ctx)
    assert out.shape == (2, 4, 3 * H)
    # The first H outputs are layer 1's own output: every layer reaches the head.
    torch.testing.assert_close(out[..., :H], backbone.layers[0](torch.cat([x, ctx], -1))[0])
    # Silence layers 1 and 2 (all weights zero -> h = 0); layer 3 still sees x directly.
    with torch.no_grad():
        for layer in backbone.layers[:2]:
            for p in layer.parameters():
                p.zero_()
    out_a, _ = backbone(x, state, context=ctx)
    out_b, _ = backbone(x + 1.0, state, context=ctx)
    assert torch.count_nonzero(out_a[..., : 2 * H]) == 0
    assert not torch.allclose(out_a[..., 2 * H :], out_b[..., 2 * H :])


def test_model_heads_read_every_layer():
    model = tiny_prediction()
    assert model.head.linear.in_features == 3 * 8
    assert model.backbone.layers[2].input_size == 3 + 8
    synth = tiny_synthesis()
    assert synth.head.linear.in_features == 3 * 8
    assert synth.backbone.layers[2].input_size == 3 + A + 8


def test_prediction_state_continuity():
    model = tiny_prediction()
    x = pen_input()
    with torch.no_grad():
        full, full_state = model(x)
        a, state = model(x[:, :3])
        b, state = model(x[:, 3:], state)
        assert_params_close(full, cat_params([a, b]))
        steps, state = [], None
        for t in range(x.shape[1]):
            p, state = model(x[:, t : t + 1], state)
            steps.append(p)
        assert_params_close(full, cat_params(steps))
    for (h1, c1), (h2, c2) in zip(full_state, state, strict=True):
        torch.testing.assert_close(h1, h2, atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(c1, c2, atol=1e-5, rtol=1e-5)


def test_prediction_output_shapes():
    model = tiny_prediction()
    params, state = model(pen_input(B=2, T=5))
    assert params.e_hat.shape == (2, 5)
    assert params.mu.shape == (2, 5, 2, 2)
    assert len(state) == 3 and state[0][0].shape == (2, 8)


def test_synthesis_state_continuity():
    model = tiny_synthesis()
    x = pen_input()
    chars, mask = chars_and_mask()
    with torch.no_grad():
        full, full_state = model(x, chars, mask)
        a, state = model(x[:, :4], chars, mask)
        b, state = model(x[:, 4:], chars, mask, state)
        assert_params_close(full, cat_params([a, b]))
        torch.testing.assert_close(state.kappa, full_state.kappa)
        torch.testing.assert_close(state.window, full_state.window, atol=1e-5, rtol=1e-5)
        steps, state = [], None
        for t in range(x.shape[1]):
            p, state = model(x[:, t : t + 1], chars, mask, state)
            steps.append(p)
        assert_params_close(full, cat_params(steps))
    for (h1, c1), (h2, c2) in zip(full_state.layers, state.layers, strict=True):
        torch.testing.assert_close(h1, h2, atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(c1, c2, atol=1e-5, rtol=1e-5)


def test_synthesis_kappa_increases_and_phi_shape():
    model = tiny_synthesis()
    x = pen_input(T=8)
    chars, mask = chars_and_mask()
    kappas, state = [], None
    with torch.no_grad():
        _, full_state = model(x, chars, mask, keep_phi=True)
        for t in range(x.shape[1]):
            _, state = model(x[:, t : t + 1], chars, mask, state)
            kappas.append(state.kappa)
    kappa = torch.stack(kappas, 1)  # (B, T, K)
    assert (kappa[:, 0] > 0).all()
    assert (kappa.diff(dim=1) > 0).all()  # eq 51: kappa_t = kappa_{t-1} + exp(kappa_hat) > it
    assert full_state.phi.shape == (2, 8, 5 + 1)
    assert (full_state.phi >= 0).all()
    assert state.phi is None  # kept only when asked


def test_synthesis_phi_matches_eq46():
    model = tiny_synthesis()
    x = pen_input(T=3)
    chars, mask = chars_and_mask()
    with torch.no_grad():
        _, state = model(x, chars, mask, keep_phi=True)
        # Recompute the last step's phi from its h^1 and kappa_{t-1}, independently of the module.
        _, prev = model(x[:, :2], chars, mask)
        h1 = state.layers[0][0]
        alpha_hat, beta_hat, kappa_hat = model.window.linear(h1).chunk(3, dim=-1)
        kappa = prev.kappa + kappa_hat.exp()
        u = torch.arange(1, 7, dtype=torch.float32)
        phi = (
            alpha_hat.exp()[..., None]
            * torch.exp(-beta_hat.exp()[..., None] * (kappa[..., None] - u) ** 2)
        ).sum(1)
    torch.testing.assert_close(state.kappa, kappa)
    torch.testing.assert_close(state.phi[:, -1], phi)
    # The window is phi over the one-hot characters of the real (unmasked) positions, eq 47.
    one_hot = torch.nn.functional.one_hot(chars, A).float() * mask[..., None]
    torch.testing.assert_close(state.window, torch.einsum("bu,bua->ba", phi[:, :5], one_hot))


def test_synthesis_padding_characters_do_not_change_outputs():
    model = tiny_synthesis()
    x = pen_input(B=2, T=6)
    short = torch.tensor([[1, 2, 3]])
    padded = torch.tensor([[1, 2, 3, 5, 4, 2], [0, 1, 2, 3, 4, 5]])
    padded_mask = torch.tensor([[True, True, True, False, False, False], [True] * 6])
    with torch.no_grad():
        alone, s_alone = model(x[:1], short, torch.ones(1, 3, dtype=torch.bool))
        batch, s_batch = model(x, padded, padded_mask)
    assert_params_close(alone, MixtureParams(*(p[:1] for p in batch)), atol=1e-6)
    torch.testing.assert_close(s_alone.kappa, s_batch.kappa[:1])


def test_text_network_shapes_and_state_continuity():
    torch.manual_seed(0)
    model = TextNetwork(TextConfig(vocab_size=7, embedding_size=4, hidden_size=8, num_layers=2))
    tokens = torch.randint(0, 7, (2, 6))
    with torch.no_grad():
        full, state = model(tokens)
        assert full.shape == (2, 6, 7)
        assert len(state) == 2 and state[1][0].shape == (2, 8)
        a, s = model(tokens[:, :2])
        b, s = model(tokens[:, 2:], s)
        torch.testing.assert_close(torch.cat([a, b], 1), full, atol=1e-5, rtol=1e-5)
        steps, s = [], None
        for t in range(6):
            logits, s = model(tokens[:, t : t + 1], s)
            steps.append(logits)
        torch.testing.assert_close(torch.cat(steps, 1), full, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize(
    "kind, model",
    [
        ("prediction", lambda: tiny_prediction()),
        ("synthesis", lambda: tiny_synthesis()),
        (
            "text",
            lambda: TextNetwork(TextConfig(vocab_size=5, embedding_size=3, hidden_size=4)),
        ),
    ],
)
def test_build_model_rebuilds_identical_architecture(kind, model):
    original = model()
    assert original.kind == kind
    rebuilt = build_model(kind, asdict(original.config))
    assert type(rebuilt) is type(original)
    assert rebuilt.config == original.config
    assert str(rebuilt) == str(original)
    shapes = {k: v.shape for k, v in original.state_dict().items()}
    assert {k: v.shape for k, v in rebuilt.state_dict().items()} == shapes
    rebuilt.load_state_dict(original.state_dict())  # strict: same names and shapes


def test_build_model_unknown_kind():
    with pytest.raises(ValueError, match="unknown model kind 'lstm'.*prediction"):
        build_model("lstm", {})


def test_synthesis_gradcheck():
    torch.manual_seed(0)
    cfg = SynthesisConfig(
        alphabet_size=4, hidden_size=3, num_layers=2, num_mixtures=2, num_window_gaussians=2
    )
    model = SynthesisNetwork(cfg).double()
    x = pen_input(B=1, T=3, dtype=torch.float64)
    target = pen_input(B=1, T=3, seed=1, dtype=torch.float64)
    chars = torch.tensor([[0, 2, 3]])
    char_mask = torch.ones(1, 3, dtype=torch.bool)
    step_mask = torch.ones(1, 3, dtype=torch.bool)

    def loss_of_input(offsets):
        xin = torch.cat([offsets, x[..., 2:]], -1)
        params, _ = model(xin, chars, char_mask)
        return nll(params, target, step_mask)

    offsets = x[..., :2].clone().requires_grad_(True)
    assert torch.autograd.gradcheck(loss_of_input, (offsets,))

    name = "window.linear.weight"
    params = dict(model.named_parameters())

    def loss_of_weight(w):
        out, _ = torch.func.functional_call(model, {**params, name: w}, (x, chars, char_mask))
        return nll(out, target, step_mask)

    w = params[name].detach().clone().requires_grad_(True)
    assert torch.autograd.gradcheck(loss_of_weight, (w,))


def test_lstm_clip_leaves_forward_unchanged():
    model = tiny_prediction().train()
    x = pen_input()
    ref, _ = model(x)
    model.lstm_clip, model.output_clip = 10.0, 100.0
    clipped, _ = model(x)
    assert_params_close(ref, clipped, atol=0)


def synthesis_loss_and_grads(model, bf16: bool):
    x, chars_mask = pen_input(T=12, seed=3), chars_and_mask()
    model.zero_grad()
    with torch.autocast("cpu", torch.bfloat16, enabled=bf16):
        params, state = model(x[:, :-1], *chars_mask, keep_phi=True)
    loss = nll(params, x[:, 1:], torch.ones(2, 11, dtype=torch.bool)).sum()
    loss.backward()
    grads = torch.cat([p.grad.flatten() for p in model.parameters()])
    return loss, params, state, grads


@pytest.mark.skipif(not bf16_supported("cpu"), reason="this CPU has no bfloat16 LSTM")
def test_bf16_autocast_keeps_window_and_head_in_float32_and_tracks_float32():
    model = tiny_synthesis(hidden_size=32).train()
    loss32, _, _, grads32 = synthesis_loss_and_grads(model, bf16=False)
    loss16, params, state, grads16 = synthesis_loss_and_grads(model, bf16=True)
    assert all(p.dtype == torch.float32 for p in params)
    assert state.phi.dtype == state.kappa.dtype == torch.float32
    assert grads16.dtype == torch.float32
    # bfloat16 keeps 8 significant bits: the LSTM products change the loss by well under 1 %.
    torch.testing.assert_close(loss16, loss32, rtol=1e-2, atol=0)
    assert torch.nn.functional.cosine_similarity(grads16, grads32, dim=0) > 0.99
    first = model.backbone.layers[0]
    with torch.autocast("cpu", torch.bfloat16):
        w_ih, w_hh, bias = model.backbone.layer_weights(0)
    assert w_ih.dtype == w_hh.dtype == torch.bfloat16 and bias.dtype == torch.float32
    torch.testing.assert_close(bias, first.bias_ih_l0 + first.bias_hh_l0)
