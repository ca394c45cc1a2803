"Checks of personacap.personas that need no training: phrases, controls, the adapter's reach, save/load, the converter."
import os
import pytest
import torch

os.environ.setdefault("PERSONACAP_PRESET", "tiny")
from personacap import personas as P
from personacap import world as W
from personacap.core import ConfigError, CheckpointError, DatasetError, get_preset
from personacap.data import load_judgments


def test_phrases_round_trip():
    c = "a smiling round face with big eyes"
    for attrs in ([], ["friendly"], ["smart", "trustworthy"]):
        out = P.with_perception(c, attrs)
        assert W.perception_words(out) == set(attrs)
        assert P.strip_perception(out) == c
    assert P.with_perception("an oval face", ["smart"]) == "a smart-looking oval face"
    assert P.with_perception("three shapes", ["smart"]) is None
    assert len(P.rerank_candidates([c, c])) == 8


def test_shuffled_control_never_keeps_own_token():
    for n in (2, 5, 12):
        assert all(u != v for u, v in enumerate(P.shuffled_users(n)))
        assert sorted(P.shuffled_users(n)) == list(range(n))


def test_settings_reject_unknown():
    with pytest.raises(ConfigError): P.persona_settings("tiny", lora_rank=8)
    assert P.persona_settings("full")["lr"] != P.persona_settings("tiny")["lr"]


@pytest.fixture(scope="module")
def bundle():
    from personacap.clip import load_clip
    return load_clip(get_preset("tiny"))


def test_lora_only_on_vision_mlps_and_token_inserted(bundle):
    s = P.persona_settings("tiny")
    m = P.build_persona(bundle, ["u0", "u1"], s)
    assert m.adapted and all(".vision_model." in n and ".mlp.fc" in n for n in m.adapted)
    assert not any("text_model" in n for n, p in m.named_parameters() if p.requires_grad)
    lens = []
    h = m.vision.encoder.register_forward_pre_hook(
        lambda mod, a, kw: lens.append((a[0] if a else kw["inputs_embeds"]).shape[1]), with_kwargs=True)
    px = torch.randn(2, 3, 64, 64)
    with torch.no_grad(): m.embed(px); m.embed(px, torch.tensor([0, 1]))
    h.remove()
    assert lens[1] == lens[0] + 1
    with pytest.raises(ConfigError): m.user_index(["nobody"])


def test_save_load_round_trip(bundle, tmp_path):
    s = P.persona_settings("tiny")
    m = P.build_persona(bundle, ["u0", "u1", "u2"], s)
    with torch.no_grad():
        m.tokens.add_(torch.randn_like(m.tokens))
        for n, p in m.named_parameters():
            if "lora_B" in n: p.add_(0.1)
    P.save_persona(m, tmp_path/"p")
    back, _ = P.load_persona(tmp_path/"p", bundle, s)
    assert back.users == m.users
    px = torch.randn(4, 3, 64, 64)
    torch.testing.assert_close(P.persona_scores(back, px), P.persona_scores(m, px))
    with pytest.raises(CheckpointError): P.load_persona(tmp_path/"missing", bundle, s)


def test_converter_needs_explicit_label(tmp_path):
    src = tmp_path/"sheet.csv"
    src.write_text("user_id,image_1,image_2,attribute,label\nu1,a.png,b.png,smart,1\nu1,c.png,a.png,smart,0\n")
    j = load_judgments(P.convert_source_judgments(src, tmp_path/"j.csv", first_preferred="1"))
    assert list(j.chose_a) == [True, False]
    j = load_judgments(P.convert_source_judgments(src, tmp_path/"k.csv", first_preferred="0"))
    assert list(j.chose_a) == [False, True]
    with pytest.raises(TypeError): P.convert_source_judgments(src, tmp_path/"x.csv")
    with pytest.raises(DatasetError): P.convert_source_judgments(src, tmp_path/"x.csv", first_preferred="2")
    with pytest.raises(DatasetError): P.convert_source_judgments(tmp_path/"none.csv", tmp_path/"x.csv", first_preferred="1")


def test_report_command_parses():
    with pytest.raises(SystemExit) as e: P.report_personas_main(["--help"])
    assert e.value.code == 0


def test_heads_save_load_and_scores(bundle, tmp_path):
    "A model with per-user heads scores against t(a) + h_{u,a} and keeps its heads through save/load."
    s = P.persona_settings("tiny")
    m = P.build_persona(bundle, ["u0", "u1"], s)
    px = torch.randn(3, 3, 64, 64)
    plain = P.persona_scores(m, px)
    m.heads = torch.randn(2, 3, m.text.shape[1]) * 0.1
    got = P.persona_scores(m, px)
    emb = torch.nn.functional.normalize(P.persona_embeddings(m, px), dim=-1)
    torch.testing.assert_close(got, torch.stack([emb[u] @ (m.text + m.heads[u]).T for u in range(2)]))
    assert not torch.allclose(got, plain)
    P.save_persona(m, tmp_path/"h")
    back, _ = P.load_persona(tmp_path/"h", bundle, s)
    torch.testing.assert_close(back.heads, m.heads)
    torch.testing.assert_close(P.persona_scores(back, px), got)


def test_learn_heads_recovers_a_planted_taste():
    "Heads learned on fixed embeddings from judgments made by a planted head predict held-out judgments of that head."
    import numpy as np
    from personacap.data import Judgments
    g = torch.Generator().manual_seed(0)
    N, d = 200, 16
    emb = torch.nn.functional.normalize(torch.randn(1, N, d, generator=g), dim=-1)
    text = torch.nn.functional.normalize(torch.randn(3, d, generator=g), dim=-1)
    true = torch.randn(2, 3, d, generator=g)
    rng = np.random.default_rng(0)
    a, b = rng.integers(0, N, 3000), rng.integers(0, N, 3000)
    u, t = rng.integers(0, 2, 3000), rng.integers(0, 3, 3000)
    util = lambda i, uu, tt: float(emb[0, i] @ (text[tt] + true[uu, tt]))
    chose = np.array([util(x, uu, tt) > util(y, uu, tt) for x, y, uu, tt in zip(a, b, u, t)])
    ids = [f"p{i}" for i in range(N)]; users = ["u0", "u1"]
    rows = dict(user_id=np.array([users[x] for x in u]), image_a=np.array([ids[x] for x in a]), image_b=np.array([ids[x] for x in b]),
                attribute=np.array([W.PERCEPTION_ATTRIBUTES[x] for x in t]), chose_a=chose)
    j = Judgments(**rows)
    pos = {k: i for i, k in enumerate(ids)}
    s = P.persona_settings("tiny")
    h = P.learn_heads(emb, j[np.arange(2000)], pos, users, text, torch.zeros(2, 3, d), s, l2=1e-4)
    ok = P.head_accuracy(emb, h, text, j[np.arange(2000, 3000)], pos, users)
    zero = P.head_accuracy(emb, torch.zeros(2, 3, d), text, j[np.arange(2000, 3000)], pos, users)
    assert ok.mean() > 0.85 and ok.mean() > zero.mean() + 0.1, (ok.mean(), zero.mean())


def test_score_rerank_names_exactly_the_top_third():
    "With a large beta the persona-score rerank names an attribute exactly where the score is above the user's 2/3 quantile."
    cands = [P.rerank_candidates(["a smiling round face"])] * 2
    prep = P.Rerank(cands, [torch.zeros(len(c)) for c in cands], [None, None])
    ref = torch.arange(30, dtype=torch.float).reshape(1, 30, 1).expand(1, 30, 3)
    scores = torch.tensor([[[29.0, 0.0, 25.0], [1.0, 28.0, 2.0]]])
    out = P.score_rerank_captions(prep, scores, ref, beta=100.0)
    assert [W.perception_words(c) for c in out[0]] == [{"friendly", "smart"}, {"trustworthy"}]
    base = P.score_rerank_captions(prep, scores, ref, beta=0.0)
    assert base[0][0] == cands[0][0]
