"Bad inputs and edge cases of personacap.smile (the chapter 20_smile tests the main paths with values)."
import math, random

import pytest
import torch
import torch.nn.functional as F
from PIL import Image

from personacap.core import ConfigError, DatasetError, get_preset
from personacap.smile import (smile_loss, subset_mask, SUBSETS, OBJECTIVES, objective_loss, encode_blip_captions,
                              blip_settings, build_tiny_blip, check_blip, blip_image_processor, finetune_references,
                              caption_truth, truth_scores, random_resized_crop, ImageCaptionDataset, richness_markdown,
                              BLIP_TINY)
from personacap.text import train_tokenizer
from personacap.data import Record
from personacap.world import Obj


@pytest.fixture(scope="module")
def tok(): return train_tokenizer(["a red circle and a blue square", "a picture of two green stars"], vocab_size=100)


def test_misaligned_or_bad_settings_raise():
    z, y = torch.randn(2, 4, 7), torch.randint(0, 7, (2, 4))
    with pytest.raises(ConfigError, match="not aligned"): smile_loss(z[:, :-1], y)
    with pytest.raises(ConfigError, match="not aligned"): smile_loss(z[0], y[0])
    with pytest.raises(ConfigError, match="mle_weight"): smile_loss(z, y, mle_weight=1.5)
    with pytest.raises(ConfigError, match="unknown subset"): smile_loss(z, y, subset="all")
    with pytest.raises(ConfigError, match="batch, positions"): subset_mask(y[0], 7)
    with pytest.raises(ConfigError, match="unknown objective"): objective_loss("SMILE++")


def test_nothing_to_score_is_zero_not_nan():
    z = torch.randn(2, 3, 5, requires_grad=True)
    for sub in SUBSETS:
        out = smile_loss(z, torch.full((2, 3), -100), subset=sub, mle_weight=0.5)
        assert out["loss"].item() == 0.0 and out["n_tokens"] == 0
        out["loss"].backward()
        assert torch.isfinite(z.grad).all()


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
@pytest.mark.parametrize("subset", SUBSETS)
def test_half_precision_is_finite_with_extreme_logits(dtype, subset):
    z = (torch.randn(3, 6, 40) * 1e3).to(dtype).requires_grad_()     # huge logits: overflow bait
    y = torch.randint(0, 40, (3, 6)); y[2] = -100; y[0, 3:] = -100
    out = smile_loss(z, y, subset=subset, mle_weight=0.01)
    assert torch.isfinite(out["loss"]); out["loss"].backward(); assert torch.isfinite(z.grad.float()).all()


def test_random_subsets_reproducible_and_bounded():
    y = torch.randint(0, 1000, (4, 9)); y[1, 5:] = -100
    a = subset_mask(y, 1000, "random", k_random=5, generator=torch.Generator().manual_seed(3))
    b = subset_mask(y, 1000, "random", k_random=5, generator=torch.Generator().manual_seed(3))
    assert torch.equal(a, b)
    assert (a.sum(-1) <= 6).all()
    valid = y != -100
    assert a.gather(2, y.clamp(min=0)[..., None])[..., 0][valid].all()


def test_reverse_excludes_the_other_sentence_words():
    y = torch.tensor([[4, 5, 6, -100]])
    m = subset_mask(y, 8, "reverse")
    assert m[0, 0].tolist() == [True, True, True, True, True, False, False, True]
    assert not m[0, 3, 4:7].any()                                    # no target: only the complement


def test_first_token_mle_only_touches_the_first_target():
    torch.manual_seed(0)
    z, y = torch.randn(1, 4, 9), torch.tensor([[-100, 2, 3, 4]])
    a = smile_loss(z, y, first_token_mle=True)["loss"]
    b = smile_loss(z, y, first_token_mle=False)["loss"]
    keep = subset_mask(y, 9)[0, 1]
    first_full = F.cross_entropy(z[0, 1:2], y[0, 1:2])
    first_sub = F.cross_entropy(z[0, 1:2].masked_fill(~keep, -1e9), y[0, 1:2])
    assert math.isclose(float(a - b), float(first_full - first_sub) / 3, rel_tol=1e-5)


def test_objectives_are_valid_settings():
    z, y = torch.randn(2, 3, 11), torch.randint(0, 11, (2, 3))
    for name, kw in OBJECTIVES.items(): assert torch.isfinite(smile_loss(z, y, **kw)["loss"]), name


def test_encode_blip_captions_edges(tok):
    ids = dict(bos=tok.bos_token_id, sep=tok.eos_token_id, pad=tok.pad_token_id)
    enc = encode_blip_captions(tok, ["", "a red circle and a blue square"], **ids, max_length=5)
    assert enc["input_ids"][0, :2].tolist() == [ids["bos"], ids["sep"]]        # an empty caption still ends
    assert enc["input_ids"].shape[1] == 5 and ids["sep"] not in enc["input_ids"][1].tolist()  # cut: no sep (no stop learned there)
    assert enc["labels"][1, -1].item() != -100                                  # the cut caption's last token is still a target
    assert enc["labels"][0, 1].item() == ids["sep"] and enc["labels"][0, 2:].eq(-100).all()
    with pytest.raises(ConfigError, match="no room"): encode_blip_captions(tok, ["a"], **ids, prompt="a picture of", max_length=4)


def test_settings(tok):
    s = blip_settings("tiny")
    assert s["max_new_tokens"] == get_preset("tiny").max_caption_tokens and s["num_beams"] == 3
    assert blip_settings("tiny", finetune_steps=7)["finetune_steps"] == 7
    with pytest.raises(ConfigError, match="unknown setting"): blip_settings("tiny", finetune_stepz=7)
    assert blip_settings("full")["prompt"] == "a picture of " and set(blip_settings("full")) == set(BLIP_TINY)


def test_check_blip_refuses_mismatches(tok):
    vc = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=1, num_attention_heads=2, patch_size=16, image_size=32)
    s = dict(BLIP_TINY, text_config=dict(hidden_size=32, intermediate_size=64, num_hidden_layers=1, num_attention_heads=2,
                                         max_position_embeddings=16))
    model, proc = build_tiny_blip(tok, "tiny", s, vision_config=vc)
    check_blip(model, proc)
    proc.image_processor = blip_image_processor(64)
    with pytest.raises(ConfigError, match="takes 32 px"): check_blip(model, proc)
    proc.image_processor = blip_image_processor(32)
    model.config.text_config.pad_token_id = 3
    with pytest.raises(ConfigError, match="pads with id"): check_blip(model, proc)


def _rec(i, caps): return Record(image_path=None, image_id=f"img{i}", split="train", captions=list(caps))

def test_finetune_references():
    recs = [_rec(0, ["a", "b", "c"]), _rec(1, ["d", "e", "f"])]
    assert [r.captions for r in finetune_references(recs, (1,))] == [["b"], ["e"]]
    assert finetune_references(recs, None) == recs
    with pytest.raises(DatasetError, match="fewer than 4"): finetune_references(recs, (3,))


class _Truth:
    "A two-image stand-in for WorldTruth."
    objs = {"s": [Obj("circle", "red", "small", .2, .2, .08, 0), Obj("square", "blue", "large", .8, .8, .12, 8)]}
    def kind(self, i): return "scene" if i in self.objs else "unknown"
    def objects(self, i): return self.objs[i]

def test_truth_scores_definitions():
    t = _Truth()
    assert caption_truth("a red circle and a blue square", t, "s") == {"coverage": 1.0, "claims": 2, "true_claims": 2}
    assert caption_truth("a blue circle", t, "s") == {"coverage": 0.0, "claims": 1, "true_claims": 0}
    assert caption_truth("a circle", t, "s") == {"coverage": 0.0, "claims": 1, "true_claims": 1}   # shape only: true, covers nothing
    ts = truth_scores(["a red circle", "some shapes"], ["s", "s"], t)
    assert ts["coverage"] == 0.25 and ts["precision"] == 1.0
    assert math.isnan(truth_scores(["some shapes"], ["s"], t)["precision"])
    with pytest.raises(DatasetError, match="not in this world"): caption_truth("a red circle", t, "x")
    with pytest.raises(ConfigError): truth_scores(["a"], ["s", "s"], t)


def test_random_resized_crop_stays_inside():
    im, rng = Image.new("RGB", (50, 30)), random.Random(0)
    for _ in range(50):
        c = random_resized_crop(im, rng)
        assert 1 <= c.size[0] <= 50 and 1 <= c.size[1] <= 30


def test_image_caption_dataset_needs_captions():
    with pytest.raises(DatasetError, match="no captions"): ImageCaptionDataset([_rec(0, [])], processor=None)


def test_richness_markdown_shows_missing_values():
    md = richness_markdown({"a": {"length": 3.25, "vocab": 12, "precision": float("nan")}}, columns=("length", "vocab", "precision"))
    assert "| a | 3.2 | 12 | – |" in md or "| a | 3.3 | 12 | – |" in md
