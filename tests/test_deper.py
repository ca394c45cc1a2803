"Unit checks of personacap.deper that need no world: shapes, masking, losses, the leakage guard, the frozen captioner."
import copy, tempfile
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from personacap.core import ConfigError
from personacap import deper as D
from personacap import metrics as M


def small_encoder(use_traj=True, traj_head="regression"):
    torch.manual_seed(0)
    cfg = D.DeperConfig(vision_dim=8, n_patches=5, vocab_size=30, d=16, layers=2, heads=2, d_z=8, max_fix=4, max_words=6,
                        n_subjects=3, use_traj=use_traj, traj_head=traj_head)
    return D.DeperEncoder(cfg).eval()


def small_inputs(B=3):
    g = torch.Generator().manual_seed(1)
    return dict(V=torch.randn(B, 5, 8, generator=g), ids=torch.randint(0, 30, (B, 6), generator=g),
                mask=torch.ones(B, 6, dtype=torch.bool), fix=torch.rand(B, 4, 3, generator=g), fmask=torch.ones(B, 4, dtype=torch.bool))


def test_settings_pick_and_refuse():
    assert D.deper_settings("tiny")["d"] == 64
    assert D.deper_settings("full")["d"] > D.deper_settings("tiny")["d"]
    with pytest.raises(ConfigError, match="unknown DEPER settings"): D.deper_settings("tiny", nope=1)


def test_pool_patches_keeps_cls_and_averages():
    h = torch.randn(2, 65, 4)
    p = D.pool_patches(h, 4)
    assert p.shape == (2, 17, 4)
    assert torch.equal(p[:, 0], h[:, 0])
    grid = h[:, 1:].reshape(2, 8, 8, 4)
    torch.testing.assert_close(p[:, 1], grid[:, :2, :2].mean((1, 2)))
    with pytest.raises(ConfigError): D.pool_patches(torch.zeros(1, 11, 2), 2)


def test_padding_does_not_change_embeddings():
    enc, x = small_encoder(), small_inputs(2)
    z = enc.embed(**x)
    pad = dict(x, ids=torch.cat([x["ids"], torch.randint(0, 30, (2, 0))], 1))
    # mask the last two fixations and last three words: same as cutting them
    xm = dict(x, mask=x["mask"].clone(), fmask=x["fmask"].clone()); xm["mask"][:, 3:] = False; xm["fmask"][:, 2:] = False
    xc = dict(V=x["V"], ids=x["ids"][:, :3], mask=x["mask"][:, :3], fix=x["fix"][:, :2], fmask=x["fmask"][:, :2])
    torch.testing.assert_close(enc.embed(**xm), enc.embed(**xc), atol=1e-5, rtol=1e-5)
    assert enc.embed(**pad).shape == z.shape


def test_text_only_encoder_ignores_trajectories():
    enc, x = small_encoder(use_traj=False), small_inputs(2)
    a = enc.embed(x["V"], x["ids"], x["mask"], x["fix"], x["fmask"])
    b = enc.embed(x["V"], x["ids"], x["mask"], torch.rand(2, 4, 3), x["fmask"])
    torch.testing.assert_close(a, b)
    assert enc.traj is None


@pytest.mark.parametrize("head", ["regression", "pointer"])
def test_save_pretrained_round_trip(head):
    enc, x = small_encoder(traj_head=head), small_inputs()
    with tempfile.TemporaryDirectory() as tmp:
        enc.save_pretrained(tmp)
        back = D.DeperEncoder.from_pretrained(tmp).eval()
    assert back.config.traj_head == head
    z = back.embed(**x)
    torch.testing.assert_close(z, enc.embed(**x))
    xy, v, scores = back.predict_trajectory(x["V"], z)
    assert xy.shape == (3, 4, 2) and v.shape == (3, 4)
    torch.testing.assert_close(xy, enc.predict_trajectory(x["V"], z)[0])
    if head == "regression": assert scores is None
    else:
        assert scores.shape == (3, 4, 4)                                   # 4 fixation queries x a 2 x 2 patch grid
        hard = back.predict_trajectory(x["V"], z, hard=True)[0]
        assert ((hard - D.patch_centres(2)[scores.argmax(-1)]).abs() <= 0.5 + 1e-6).all()  # at most one patch away


def test_pointer_points_are_patch_centres_plus_offset():
    enc, x = small_encoder(traj_head="pointer"), small_inputs()
    z = enc.embed(**x)
    with torch.no_grad():
        enc.decoder.offset.weight.zero_(); enc.decoder.offset.bias.zero_()
        soft, _, scores = enc.predict_trajectory(x["V"], z)
        hard = enc.predict_trajectory(x["V"], z, hard=True)[0]
        torch.testing.assert_close(soft, scores.softmax(-1) @ D.patch_centres(2))     # the expected centre
        torch.testing.assert_close(hard, D.patch_centres(2)[scores.argmax(-1)])       # the best patch's centre
        enc.decoder.offset.bias.fill_(50.0)                                           # tanh saturates: one patch (1/2) right and down
        torch.testing.assert_close(enc.predict_trajectory(x["V"], z, hard=True)[0], (hard + 0.5).clamp(0, 1))


def test_unknown_trajectory_head_is_refused():
    with pytest.raises(ConfigError, match="unknown trajectory head"): small_encoder(traj_head="boxes")


def test_pointer_loss_scores_the_fixated_patch():
    fix = torch.tensor([[[0.3, 0.4, 0.2], [0.9, 0.9, 0.2]]]); fm = torch.tensor([[True, False]])
    assert D.fixated_patch(fix, 2).tolist() == [[0, 3]]
    for g in (2, 4, 7):                                # the loss's patch index and the head's centres use one order
        assert D.fixated_patch(D.patch_centres(g), g).tolist() == list(range(g * g))
    xy, valid = torch.tensor([[[0.3, 0.4], [0.1, 0.1]]]), torch.tensor([[30., -30.]])
    right, wrong = torch.tensor([[[8., 0, 0, 0], [0, 0, 0, 0]]]), torch.tensor([[[0., 8, 0, 0], [0, 0, 0, 0]]])
    base = D.trajectory_loss(xy, valid, fix, fm)
    ce = torch.nn.functional.cross_entropy(right[0, :1], torch.tensor([0]))
    torch.testing.assert_close(D.trajectory_loss(xy, valid, fix, fm, right), base + ce)
    assert D.trajectory_loss(xy, valid, fix, fm, wrong) > D.trajectory_loss(xy, valid, fix, fm, right) + 7


def test_losses_values():
    y = torch.tensor([0, 0, 1, 1])
    good = torch.tensor([[1., 0], [1, 0.1], [0, 1], [0.1, 1]])
    assert D.supcon_loss(good, y) < D.supcon_loss(good[[0, 2, 1, 3]], y)
    assert D.supcon_loss(good, torch.arange(4)).item() == 0.0
    fix = torch.tensor([[[0.3, 0.4, 0.2], [0.9, 0.9, 0.2]]]); fm = torch.tensor([[True, False]])
    perfect = D.trajectory_loss(torch.tensor([[[0.3, 0.4], [0.1, 0.1]]]), torch.tensor([[30., -30.]]), fix, fm)
    off = D.trajectory_loss(torch.tensor([[[0.6, 0.4], [0.1, 0.1]]]), torch.tensor([[30., -30.]]), fix, fm)
    assert perfect.item() < 1e-6 < off.item()


def fake_triplets(n_per=6, subjects=3):
    N = n_per * subjects
    return SimpleNamespace(subject=torch.arange(N) % subjects)


def test_support_is_another_example_of_the_same_subject():
    data = fake_triplets()
    ds = D.SupportDataset(data, np.arange(len(data.subject)), k=3, seed=0)
    for i in range(len(ds)):
        q, sup = ds[i]
        assert q not in sup
        assert (data.subject[torch.as_tensor(sup)] == data.subject[q]).all()


def tiny_clipcap():
    from personacap.clipcap import build_clipcap
    from personacap.text import general_tokenizer
    tok = general_tokenizer()
    torch.manual_seed(0)
    return build_clipcap("tiny", tok, clip_dim=16), tok


def test_soft_token_captioner_is_frozen_and_generates():
    from personacap.captioning import generate_captions, encode_captions
    clipcap, tok = tiny_clipcap()
    cap = D.DeperCaptioner(copy.deepcopy(clipcap), d_z=8)
    assert [n for n, p in cap.named_parameters() if p.requires_grad] == ["adapter.weight", "adapter.bias"]
    before = {k: v.clone() for k, v in cap.clipcap.state_dict().items()}
    enc = encode_captions(tok, ["a red circle", "a blue square on the left"])
    c, z = torch.randn(2, 16), torch.randn(2, 8)
    opt = torch.optim.SGD(cap.adapter.parameters(), lr=0.1)
    cap.train()
    assert not cap.clipcap.training
    loss = cap.caption_loss(c, cap.soft(z), enc["input_ids"], enc["attention_mask"], enc["labels"]); loss.backward(); opt.step()
    assert all(torch.equal(before[k], v) for k, v in cap.clipcap.state_dict().items())
    out = generate_captions(cap, torch.cat([c, z], 1), tok, max_new_tokens=5)
    assert len(out) == 2 and all(isinstance(s, str) for s in out)


def test_soft_token_changes_what_the_captioner_sees():
    clipcap, tok = tiny_clipcap()
    cap = D.DeperCaptioner(clipcap, d_z=8)
    c = torch.randn(1, 16)
    e1, e2 = cap.embeds(c, torch.zeros(1, clipcap.gpt.config.n_embd)), cap.embeds(c, torch.ones(1, clipcap.gpt.config.n_embd))
    assert e1.shape[1] == clipcap.config.prefix_length + 1                 # the soft token comes after the prefix
    torch.testing.assert_close(e1[:, :-1], e2[:, :-1])                    # the prefix is the frozen captioner's own


def test_prompt_captioner_reads_subject_index():
    clipcap, tok = tiny_clipcap()
    pc = D.PromptCaptioner(clipcap, 3)
    idx = torch.tensor([[0.], [2.]])
    torch.testing.assert_close(pc.soft(idx), pc.tokens.weight[[0, 2]])


def test_description_classifier_learns_styles():
    texts = ["i see a red circle", "i see a blue box", "first a disc, then a star", "first a box, then a cross"] * 3
    who = ["a", "a", "b", "b"] * 3
    clf = D.DescriptionClassifier(texts, who, ["a", "b"], min_count=1)
    pred = clf(["i see a green star", "first a star, then a disc"]).argmax(1).tolist()
    assert pred == [0, 1]


def toy_scene():
    from personacap import world as W
    base = dict(shape="circle", colour="red", size="small", cell=4)
    return [W.Obj(**base, x=0.2, y=0.8, r=0.10), W.Obj(**{**base, "colour": "blue"}, x=0.5, y=0.5, r=0.05),
            W.Obj(**base, x=0.8, y=0.1, r=0.20)]


def a_subject(colour="blue"):
    import dataclasses
    from personacap import world as W
    s = W.make_subjects(1, 0, np.random.default_rng(0))[0]
    return dataclasses.replace(s, favourite_colour=colour)


def test_policy_orders_follow_the_world_rules():
    from personacap import world as W
    objs, subj = toy_scene(), a_subject("blue")
    po = D.policy_orders(objs, subj)
    assert set(po) == set(W.VIEW_POLICIES)
    assert po["left_to_right"] == [0, 1, 2] and po["right_to_left"] == [2, 1, 0] and po["top_to_bottom"] == [2, 1, 0]
    assert po["largest_first"] == [2, 0, 1] and po["centre_out"][0] == 1
    assert po["favourite_colour"][0] == 1                               # the blue object first
    assert subj.swap_prob == a_subject("blue").swap_prob                # the subject itself is not changed


def test_rule_agreement_names_the_rule_a_scanpath_follows():
    from personacap import world as W
    objs, subj = toy_scene(), a_subject("green")
    truth = SimpleNamespace(objects=lambda _: objs)
    rtl = np.array([[0.8, 0.1], [0.5, 0.5], [0.2, 0.8]])
    sc = D.rule_agreement([rtl, rtl], ["a", "b"], truth, subj)
    assert sc.shape == (len(W.VIEW_POLICIES),)
    assert sc[W.VIEW_POLICIES.index("right_to_left")] == 1.0
    assert sc[W.VIEW_POLICIES.index("left_to_right")] < 1.0
    off = np.array([[0.05, 0.5]])                                       # looks at nothing: agrees with no rule
    assert D.rule_agreement([off], ["a"], truth, subj).max() == 0.0


def test_paired_bootstrap():
    r = M.paired_bootstrap([1., 2, 3, 4], [1., 1, 1, 1], n=500)
    assert r["diff"] == 1.5 and r["lo"] <= 1.5 <= r["hi"] and r["sd"] > 0
    same = M.paired_bootstrap([0.3] * 10, [0.3] * 10)
    assert same["lo"] == same["hi"] == 0.0
    with pytest.raises(ConfigError, match="equal-length"): M.paired_bootstrap([], [])
