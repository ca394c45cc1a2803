"Bad input to blind guessing: hierarchy files and selection arguments get clear errors."
import json
import pytest, torch
from personacap.core import PersonacapError, ConfigError, data_path
from personacap.sbg import load_hierarchy, select_keywords, keyword_vocabulary, singular

def test_shipped_hierarchy_loads():
    tree = load_hierarchy(data_path("sbg_hierarchy_world.json"))
    assert set(tree["options"]) == {"shapes", "face"} and set(tree["children"]) <= set(tree["options"])

@pytest.mark.parametrize("text,msg", [
    ("{not json", "not valid JSON"),
    (json.dumps({"children": {}}), "options"),
    (json.dumps({"options": {"a": "an a"}, "children": {"b": {"options": {}}}}), "not one of the options"),
    (json.dumps({"options": {"a": "an a"}, "children": {"a": {"prompts": {}}}}), "root/a"),
])
def test_bad_hierarchy_names_file_and_problem(tmp_path, text, msg):
    f = tmp_path / "h.json"; f.write_text(text)
    with pytest.raises(PersonacapError, match=msg) as e: load_hierarchy(f)
    assert "h.json" in str(e.value)

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
