"""The full-preset loading path without the hub, and the checkpoint bad-input sweep.

`load_pretrained` is the function that loads hub ids in `full`; here it loads small models
that were built from configs and saved locally, which is exactly what `full` does after the
download step."""
import time
import numpy as np
import pytest, torch
from torch import nn
from transformers import AutoModel, AutoModelForCausalLM, AutoTokenizer, GPT2Config, GPT2LMHeadModel
from personacap.core import (load_pretrained, save_model_state, load_model_state, save_tensors,
                             load_tensors, CheckpointError, HubUnavailableError, ModelLoadError, get_preset)
from personacap.text import train_tokenizer

def test_tiny_clip_bundle_round_trips_through_load_clip(tmp_path):
    "The full-preset path of chapter 04: a CLIP bundle saved to a folder loads back through load_clip."
    from personacap.clip import build_tiny_clip, train_clip_tokenizer, load_clip
    tok = train_clip_tokenizer(["a red circle", "a small blue square on the left"])
    b = build_tiny_clip(tok, "tiny"); b.model.eval(); b.save(tmp_path / "clip")
    b2 = load_clip("tiny", path=tmp_path / "clip")
    imgs = [np.random.default_rng(i).integers(0, 255, (64, 64, 3), dtype=np.uint8) for i in range(2)]
    assert torch.allclose(b.encode_images(imgs), b2.encode_images(imgs), atol=1e-5)
    assert torch.allclose(b.encode_text(["a red circle"]), b2.encode_text(["a red circle"]), atol=1e-5)
    assert b2.tokenizer.eos_token_id == 3 and b2.model.config.text_config.eos_token_id == 3

def test_gpt2_with_tokenizer_round_trips(tmp_path):
    tok = train_tokenizer(["a red circle", "a small blue square"])
    lm = GPT2LMHeadModel(GPT2Config(vocab_size=len(tok), n_embd=32, n_layer=1, n_head=2, n_positions=16)).eval()
    lm.save_pretrained(tmp_path / "lm"); tok.save_pretrained(tmp_path / "lm")
    lm2, tok2 = load_pretrained(AutoModelForCausalLM, tmp_path / "lm"), load_pretrained(AutoTokenizer, tmp_path / "lm")
    ids = tok2("a small red circle", return_tensors="pt").input_ids
    assert ids.tolist() == tok("a small red circle", return_tensors="pt").input_ids.tolist()
    with torch.no_grad(): assert torch.allclose(lm(ids).logits, lm2(ids).logits, atol=1e-6)

def test_hub_id_offline_fails_fast_with_the_fix(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    t0 = time.time()
    with pytest.raises(HubUnavailableError, match="tiny preset"):
        load_pretrained(AutoModelForCausalLM, "personacap/not-a-model")
    assert time.time() - t0 < 5

def test_bad_local_folders(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelLoadError, match="empty"): load_pretrained(AutoModel, tmp_path / "empty")
    (tmp_path / "junk").mkdir(); (tmp_path / "junk" / "config.json").write_text("{not json")
    with pytest.raises(ModelLoadError, match="junk"): load_pretrained(AutoModel, tmp_path / "junk")

@pytest.mark.parametrize("damage", ["missing", "empty", "truncated", "garbage", "folder"])
def test_checkpoint_damage_is_named(tmp_path, damage):
    net = nn.Linear(4, 2)
    good = save_model_state(net, tmp_path / "good.safetensors")
    bad = tmp_path / "bad.safetensors"
    raw = good.read_bytes()
    if damage == "empty": bad.write_bytes(b"")
    if damage == "truncated": bad.write_bytes(raw[: len(raw) - 7])
    if damage == "garbage": bad.write_bytes(b"\x00" * 64 + b"not safetensors")
    if damage == "folder": bad.mkdir()
    with pytest.raises(CheckpointError, match="bad.safetensors"): load_model_state(net, bad)

def test_checkpoint_from_other_model(tmp_path):
    save_model_state(nn.Linear(4, 2), tmp_path / "lin.safetensors")
    with pytest.raises(CheckpointError, match="written by a Linear"): load_model_state(nn.Conv1d(4, 2, 1), tmp_path / "lin.safetensors")
    with pytest.raises(CheckpointError, match="another shape"): load_model_state(nn.Linear(4, 3), tmp_path / "lin.safetensors")

def test_metadata_round_trip(tmp_path):
    save_tensors({"x": torch.arange(3.)}, tmp_path / "t.safetensors", {"step": 7, "name": "run"})
    t, m = load_tensors(tmp_path / "t.safetensors")
    assert torch.equal(t["x"], torch.arange(3.)) and m["step"] == "7" and m["name"] == "run"
