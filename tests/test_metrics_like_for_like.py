"Like-for-like scoring against the human baseline: same rounds, same references, and the pooled-output path of text_encoder."
import numpy as np
import pytest
import torch

import personacap.metrics as M
from personacap.core import DatasetError

FAST = dict(metrics=["bleu", "rouge_l", "cider_d"], use_java=False)


def test_like_for_like_uses_the_human_baseline_rounds():
    "Reference i fed as every image's prediction reproduces the human baseline's round i exactly."
    _, refs = M.toy_captions(40, 5, seed=4)
    hb = M.human_baseline(refs, **FAST)
    assert len(hb.rounds) == 5
    for i in range(5):
        lfl = M.score_like_for_like({k: v[i] for k, v in refs.items()}, refs, **FAST)
        assert lfl.rounds[i] == hb.rounds[i]
        assert all(lfl.rounds[j] != hb.rounds[j] for j in range(5) if j != i)


def test_like_for_like_leaves_one_reference_out_per_round():
    # the prediction equals reference 0 and shares no word with reference 1:
    # all references -> ROUGE-L 1; like for like -> round 0 (only ref 1 left) 0, round 1 (only ref 0 left) 1
    preds = {0: "a b c d", 1: "e f g h"}
    refs = {0: ["a b c d", "w x y z"], 1: ["e f g h", "q r s t"]}
    assert M.score(preds, refs, metrics=["rouge_l"], use_java=False).rouge_l == 1.0
    lfl = M.score_like_for_like(preds, refs, metrics=["rouge_l"], use_java=False)
    assert [r["rouge_l"] for r in lfl.rounds] == [0.0, 1.0] and lfl.rouge_l == 0.5
    assert np.allclose(lfl.per_image["rouge_l"], [0.5, 0.5])
    assert M.score(preds, refs, metrics=["rouge_l"], use_java=False, like_for_like=True).as_dict() == lfl.as_dict()


def test_like_for_like_is_lower_than_all_references_on_toy_set():
    preds, refs = M.toy_captions(50, 5, seed=0)
    a, l = M.score(preds, refs, **FAST), M.score_like_for_like(preds, refs, **FAST)
    assert l.bleu_4 < a.bleu_4 and l.rouge_l < a.rouge_l and l.cider_d < a.cider_d
    assert a.protocol == "all 5 references" and l.protocol.startswith("like for like: 5")


def test_uneven_reference_counts_and_single_reference_images():
    refs = {0: ["a b c", "a b d", "a b e"], 1: ["x y", "x z"], 2: ["only one"]}
    hb = M.human_baseline(refs, metrics=["rouge_l"], use_java=False)
    lfl = M.score_like_for_like({0: "a b c", 1: "x y", 2: "only one"}, refs, metrics=["rouge_l"], use_java=False)
    assert len(hb.rounds) == len(lfl.rounds) == 2                # K = the smallest count among images with >= 2
    assert hb.n_images == lfl.n_images == 2 and hb.ids == lfl.ids == ["0", "1"]
    assert "1 images with one reference left out" in lfl.skipped["like_for_like"]
    # image 0 keeps its third reference in both rounds: round 0 scores 'a b c' against ['a b d', 'a b e']
    r0 = M.score({0: "a b c", 1: "x y"}, {0: ["a b d", "a b e"], 1: ["x z"]}, metrics=["rouge_l"], use_java=False)
    assert lfl.rounds[0]["rouge_l"] == r0.rouge_l
    with pytest.raises(DatasetError, match="two or more"):
        M.score_like_for_like({2: "only one"}, refs, use_java=False)


class _FakeCLIP(torch.nn.Module):
    "Answers get_text_features with a transformers output object (as newer transformers do) or a tensor."
    def __init__(self, as_output):
        super().__init__(); self.w = torch.nn.Parameter(torch.ones(1)); self.as_output = as_output
    def get_text_features(self, input_ids, attention_mask):
        from transformers.modeling_outputs import BaseModelOutputWithPooling
        x = input_ids.float().sum(1, keepdim=True).repeat(1, 4) * self.w
        return BaseModelOutputWithPooling(pooler_output=x) if self.as_output else x


class _FakeTok:
    def __call__(self, texts, **kw):
        class B(dict):
            def to(self, dev): return self
        ids = torch.tensor([[len(t), 1] for t in texts])
        return B(input_ids=ids, attention_mask=torch.ones_like(ids))


@pytest.mark.parametrize("as_output", [True, False])
def test_text_encoder_pools_model_outputs(as_output):
    enc = M.text_encoder(_FakeCLIP(as_output), _FakeTok(), batch_size=2)
    out = enc(["ab", "abc", "a"])
    assert out.shape == (3, 4) and out[:, 0].tolist() == [3.0, 4.0, 2.0]


def test_text_encoder_uses_core_pooled_output(monkeypatch):
    import personacap.core as C
    calls = []
    monkeypatch.setattr(M, "pooled_output", lambda o: calls.append(type(o).__name__) or C.pooled_output(o))
    M.text_encoder(_FakeCLIP(True), _FakeTok())(["x"])
    assert calls == ["BaseModelOutputWithPooling"]
