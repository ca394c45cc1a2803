"""Original-ClipCap checkpoints: the bad-input sweep, and a converted model surviving save_pretrained.

The exact-equivalence check against a re-implementation of the original forward pass lives in
nbs/10_clipcap.ipynb; here the files are damaged in the ways real downloads are."""
import pytest, torch
from torch import nn
from transformers import GPT2Config, GPT2LMHeadModel

from personacap.core import CheckpointError, PersonacapError
from personacap.clipcap import ClipCapModel, load_original_clipcap

D, K, CLIP = 32, 3, 8


def original_mlp_state(seed=0) -> dict:
    "A state_dict laid out like the original ClipCaptionModel with the MLP mapper."
    torch.manual_seed(seed)
    gpt = GPT2LMHeadModel(GPT2Config(n_embd=D, n_layer=1, n_head=2, n_positions=16, vocab_size=20))
    mlp = nn.Sequential(nn.Linear(CLIP, D * K // 2), nn.Tanh(), nn.Linear(D * K // 2, D * K))
    return {**{f"gpt.{k}": v for k, v in gpt.state_dict().items()}, **{f"clip_project.model.{k}": v for k, v in mlp.state_dict().items()}}


def original_transformer_state(seed=0, layers=2) -> dict:
    torch.manual_seed(seed)
    sd = {k: v for k, v in original_mlp_state(seed).items() if k.startswith("gpt.")}
    sd["clip_project.linear.weight"], sd["clip_project.linear.bias"] = torch.randn(2 * D, CLIP), torch.randn(2 * D)
    sd["clip_project.prefix_const"] = torch.randn(K, D)
    for i in range(layers):
        p = f"clip_project.transformer.layers.{i}."
        for n in ("norm1", "norm2"): sd[p + n + ".weight"], sd[p + n + ".bias"] = torch.ones(D), torch.zeros(D)
        sd[p + "attn.to_queries.weight"], sd[p + "attn.to_keys_values.weight"] = torch.randn(D, D), torch.randn(2 * D, D)
        sd[p + "attn.project.weight"], sd[p + "attn.project.bias"] = torch.randn(D, D), torch.randn(D)
        sd[p + "mlp.fc1.weight"], sd[p + "mlp.fc1.bias"] = torch.randn(2 * D, D), torch.randn(2 * D)
        sd[p + "mlp.fc2.weight"], sd[p + "mlp.fc2.bias"] = torch.randn(D, 2 * D), torch.randn(D)
    return sd


@pytest.mark.parametrize("make", [original_mlp_state, original_transformer_state])
def test_converted_model_round_trips_through_save_pretrained(tmp_path, make):
    torch.save(make(), tmp_path / "orig.pt")
    m = load_original_clipcap(tmp_path / "orig.pt", n_head=2).eval()
    m.save_pretrained(tmp_path / "ours")
    m2 = ClipCapModel.from_pretrained(tmp_path / "ours").eval()
    x, ids = torch.randn(2, CLIP), torch.randint(0, 20, (2, 5))
    with torch.no_grad(): assert torch.allclose(m(x, input_ids=ids).logits, m2(x, input_ids=ids).logits, atol=1e-6)
    assert m2.config.prefix_norm == "none" and m2.config.prefix_length == K


def test_dataparallel_prefix_and_nested_state_dict(tmp_path):
    sd = {f"module.{k}": v for k, v in original_mlp_state().items()}
    torch.save({"state_dict": sd}, tmp_path / "dp.pt")
    assert load_original_clipcap(tmp_path / "dp.pt", n_head=2).config.mapper == "mlp"


def damage(kind, tmp_path):
    p = tmp_path / f"{kind}.pt"
    sd = original_transformer_state()
    if kind == "truncated":
        torch.save(sd, p); p.write_bytes(p.read_bytes()[:2000]); return p
    if kind == "empty": p.write_bytes(b""); return p
    if kind == "not_a_dict": torch.save([torch.zeros(2)], p); return p
    if kind == "not_clipcap": torch.save(nn.Linear(2, 2).state_dict(), p); return p
    if kind == "extra_keys": sd["optimizer.step"] = torch.tensor(3)
    if kind == "missing_layer_key": del sd["clip_project.transformer.layers.1.mlp.fc1.weight"]
    if kind == "layer_gap":
        for k in [k for k in sd if ".layers.1." in k]: sd[k.replace(".layers.1.", ".layers.4.")] = sd.pop(k)
    if kind == "wrong_width": sd["clip_project.linear.weight"] = torch.randn(2 * D + 1, CLIP); sd["clip_project.linear.bias"] = torch.randn(2 * D + 1)
    if kind == "missing_gpt_weight": del sd["gpt.transformer.h.0.mlp.c_fc.bias"]
    if kind == "wrong_shape": sd["clip_project.prefix_const"] = torch.randn(K, D + 2)
    torch.save(sd, p); return p


@pytest.mark.parametrize("kind", ["truncated", "empty", "not_a_dict", "not_clipcap", "extra_keys", "missing_layer_key",
                                  "layer_gap", "wrong_width", "missing_gpt_weight", "wrong_shape"])
def test_damaged_checkpoints_fail_with_the_file_name(tmp_path, kind):
    p = damage(kind, tmp_path)
    with pytest.raises(PersonacapError) as e:
        load_original_clipcap(p, n_head=2)
    assert str(p) in str(e.value), f"{kind}: message does not name the file: {e.value}"


def test_pickled_code_is_refused(tmp_path):
    class Evil:
        def __reduce__(self): return (print, ("this would have run",))
    torch.save({"clip_project.model.0.weight": Evil()}, tmp_path / "evil.pt")
    with pytest.raises(CheckpointError, match="weights_only"): load_original_clipcap(tmp_path / "evil.pt")
