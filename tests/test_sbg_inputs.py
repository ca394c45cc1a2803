"Bad input to blind guessing, and the pieces that need no trained CLIP: hierarchy files, selection, the merge, training keywords, batches."
import json
from types import SimpleNamespace
import pytest, torch
from personacap.core import PersonacapError, ConfigError, data_path
from personacap.sbg import (load_hierarchy, select_keywords, keyword_vocabulary, singular, rank_keywords, hierarchy_keywords,
                            KeywordSelector, training_keywords, train_sbg, BlindCollate, resolve_hierarchy, sbg_row_name,
                            sbg_train_config, MODES)
from personacap.text import train_tokenizer

def test_shipped_hierarchy_loads():
    tree = load_hierarchy(data_path("sbg_hierarchy_world.json"))
    assert set(tree["options"]) == {"shapes", "face"} and set(tree["children"]) <= set(tree["options"])
    assert hierarchy_keywords(tree)[:2] == ["shapes", "face"] and len(hierarchy_keywords(tree)) == len(set(hierarchy_keywords(tree)))

@pytest.mark.parametrize("text,msg", [
    ("{not json", "not valid JSON"),
    (json.dumps({"children": {}}), "options"),
    (json.dumps({"options": {"a": "an a"}, "children": {"b": {"options": {}}}}), "not one of the options"),
    (json.dumps({"options": {"a": "an a"}, "children": {"a": {"prompts": {}}}}), "root/a"),
])
def test_bad_hierarchy_names_file_and_problem(tmp_path, text, msg):
    f = tmp_path / "h.json"; f.write_text(text)
    with pytest.raises(PersonacapError, match=msg) as e: load_hierarchy(f)
    assert "h.json" in str(e.value) and "fix:" in str(e.value)

def test_missing_hierarchy_file(tmp_path):
    with pytest.raises(PersonacapError, match="no such hierarchy file"): load_hierarchy(tmp_path / "nope.json")

def test_selection_shape_mismatch():
    with pytest.raises(ConfigError, match="3 columns for 2 keywords"): select_keywords(torch.ones(1, 3) / 3, ["a", "b"])

def test_selection_bounds():
    P = torch.tensor([[0.1] * 10])
    assert len(select_keywords(P, list("abcdefghij"), threshold=0.99, max_k=4).keywords[0]) == 4
    assert len(select_keywords(P, list("abcdefghij"), threshold=0.0, min_k=2).keywords[0]) == 2

def test_vocabulary_ignores_stopwords_and_case():
    assert keyword_vocabulary(["The DOG and the dog", "A dog"], size=5, min_count=1) == ["dog"]
    assert singular("glasses") == "glass"      # "-sses" -> "-ss"; a rule of thumb, not a lemmatizer

def test_rank_keywords_orders_each_images_own_keywords():
    kw = torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.6, 0.8]])
    r = rank_keywords(torch.tensor([[0.0, 1.0], [1.0, 0.0]]), kw, ["dog", "grass", "ball"], [["dog", "grass"], ["ball", "ball"]], 1.0)
    assert r.keywords == [["grass", "dog"], ["ball"]] and r.probs[1] == pytest.approx([1.0])
    with pytest.raises(ConfigError, match="2 keyword lists for 1 embeddings"): rank_keywords(torch.ones(1, 2), kw, ["dog", "grass", "ball"], [[], []], 1.0)
    with pytest.raises(ConfigError, match="cat"): rank_keywords(torch.ones(1, 2), kw, ["dog", "grass", "ball"], [["cat"]], 1.0)

class FakeBundle:
    "A stand-in CLIP: a text is embedded by which of a few words it contains, so selections are known in advance."
    AXES = ("red", "blue", "circle", "square")
    def __init__(self): self.model = SimpleNamespace(logit_scale=torch.tensor(4.0))      # temperature e^4 ~ 55
    def encode_text(self, texts):
        return torch.stack([torch.tensor([float(a in t.split()) for a in self.AXES]) + 1e-3 for t in texts])

def recs(*caption_lists): return [SimpleNamespace(captions=list(c), source="fake") for c in caption_lists]

def test_image_mode_gives_each_caption_its_images_keywords():
    sel = KeywordSelector(FakeBundle(), ["red", "blue", "circle", "square"])
    emb = torch.tensor([[1.0, 0.0, 1.0, 0.0], [0.0, 1.0, 0.0, 1.0]])      # image 0: red circle; image 1: blue square
    rs = recs(["a blue square", "a shape"], ["a red circle"])             # the captions disagree with their images
    img = training_keywords(sel, rs, emb, mode="image", threshold=0.9)
    assert img[0] == img[1] and set(img[0]) == {"red", "circle"} and set(img[2]) == {"blue", "square"}
    txt = training_keywords(sel, rs, mode="text", threshold=0.9)
    assert set(txt[0]) == {"blue", "square"} and set(txt[2]) == {"red", "circle"}      # text mode follows each caption
    assert training_keywords(sel, rs, mode="in_caption") == [["blue", "square"], [], ["red", "circle"]]

def test_training_keyword_errors():
    sel = KeywordSelector(FakeBundle(), ["red", "blue"])
    with pytest.raises(ConfigError, match="unknown training-keyword mode"): training_keywords(sel, recs(["red"]), mode="caption")
    with pytest.raises(ConfigError, match="2 image embeddings for 1 records"): training_keywords(sel, recs(["red"]), torch.ones(2, 4))
    with pytest.raises(ConfigError, match="unknown training-keyword mode"): train_sbg(sel, recs(["red"]), mode="nope")
    with pytest.raises(ConfigError, match="vocabulary is empty"): KeywordSelector(FakeBundle(), [])
    assert set(MODES) == {"image", "text", "in_caption"}

def test_hierarchy_in_the_selection():
    tree = {"options": {"warm": "red", "cold": "blue"}}
    sel = KeywordSelector(FakeBundle(), ["circle", "square"], tree=tree)
    out = sel(torch.tensor([[1.0, 0.0, 1.0, 0.0]]), threshold=0.5)
    assert set(out.keywords[0]) == {"warm", "circle"} and out.probs[0] == sorted(out.probs[0], reverse=True)

def test_blind_collate_pads_right_and_masks_prompt():
    tok = train_tokenizer(["red ### a red circle", "blue ### a blue square here"], kind="word")
    b = BlindCollate(tok)([("red ###", "a red circle"), ("blue ###", "a blue square here")])
    assert b["input_ids"][0, -1].item() == tok.pad_token_id and b["labels"][0, -1].item() == -100
    assert b["attention_mask"].sum(1).tolist() == [1 + 2 + 4, 1 + 2 + 5]
    assert b["labels"][1, :3].tolist() == [-100] * 3 and b["labels"][1, -1].item() == tok.eos_token_id
    cut = BlindCollate(tok, max_len=5)([("red ###", "a red circle")])
    assert cut["input_ids"].shape[1] == 5 and tok.eos_token_id not in cut["labels"][0].tolist()   # truncated: no EOS

def test_row_names_and_hierarchy_choice(tmp_path):
    assert sbg_row_name(1, {"options": {}}) == "SBG top-1"
    assert sbg_row_name(5, None) == "SBG top-5 (no hierarchy)"
    assert sbg_row_name(2, {"options": {}}, "text") == "SBG top-2, text-mode keywords"
    assert resolve_hierarchy("auto", recs(["x"])) is None
    world = [SimpleNamespace(captions=["x"], source="world")]
    assert resolve_hierarchy("auto", world) == load_hierarchy(data_path("sbg_hierarchy_world.json"))
    assert resolve_hierarchy(None, world) is None
    with pytest.raises(PersonacapError, match="no such hierarchy file"): resolve_hierarchy(tmp_path / "none.json", world)

def test_train_config_from_preset():
    from personacap.core import get_preset
    p = get_preset("tiny")
    cfg = sbg_train_config(p)
    assert cfg.max_steps == p.sbg_steps and cfg.batch_size == p.batch_size and cfg.progress is True
    assert sbg_train_config(p, steps=7, progress=False).max_steps == 7
