"One COCO-results reader (personacap.data.load_coco_results) and one id policy: ids compared as strings on both sides."
import json

import pytest

import personacap.data as D
import personacap.metrics as M
from personacap.core import DatasetError


def test_results_are_read_by_the_data_reader(tmp_path, monkeypatch):
    rows = [{"image_id": 391895, "caption": "a man on a bike"}, {"image_id": "x7", "caption": "a dog"}]
    (tmp_path/"r.json").write_text(json.dumps(rows))
    assert M.as_predictions(tmp_path/"r.json") == D.load_coco_results(tmp_path/"r.json") == {"391895": "a man on a bike", "x7": "a dog"}
    assert M.as_predictions(rows) == D.load_coco_results(rows)
    seen = []
    monkeypatch.setattr(M, "load_coco_results", lambda src: seen.append(src) or {"1": "x"})
    M.as_predictions(rows); M.as_predictions(tmp_path/"r.json")
    assert len(seen) == 2                                     # metrics has no reader of its own


def test_int_and_str_ids_meet():
    preds, refs = M.toy_captions(30, 4, seed=1)
    base = M.score(preds, refs, metrics=["bleu", "cider_d"], use_java=False)
    mixed = M.score({str(k): v for k, v in preds.items()}, refs, metrics=["bleu", "cider_d"], use_java=False)
    assert (mixed.bleu_4, mixed.cider_d) == (base.bleu_4, base.cider_d)
    assert base.ids == [str(k) for k in preds] == mixed.ids
    hb_int = M.human_baseline(refs, metrics=["cider_d"], use_java=False)
    hb_str = M.human_baseline({str(k): v for k, v in refs.items()}, metrics=["cider_d"], use_java=False)
    assert hb_int.cider_d == hb_str.cider_d


def test_ids_that_collide_as_strings_are_errors():
    with pytest.raises(DatasetError, match="same id as a string"): M.as_predictions({1: "a", "1": "b"})
    with pytest.raises(DatasetError, match="same id as a string"): M.as_references({1: ["a"], "1": ["b"]})
    with pytest.raises(DatasetError, match="same id as a string"):
        M.as_references({"annotations": [{"image_id": 1, "caption": "a"}, {"image_id": "1", "caption": "b"}]})
    with pytest.raises(DatasetError, match="appears twice"):
        M.as_predictions([{"image_id": 1, "caption": "a"}, {"image_id": "1", "caption": "b"}])


def test_records_to_results_file_and_back_through_score(tmp_path):
    "Records carry str ids, the results file ints (as COCO wants); scoring the file against the records works."
    root = tmp_path/"coco"; ann = D.write_fixture("coco", root)
    recs = D.load_coco_captions(ann)
    preds = {r.image_id: r.captions[0] for r in recs}
    D.save_coco_results(preds, tmp_path/"res.json")
    assert all(isinstance(r["image_id"], int) for r in json.loads((tmp_path/"res.json").read_text()))
    refs = {r.image_id: r.captions for r in recs}
    from_file = M.score(tmp_path/"res.json", refs, metrics=["bleu", "cider_d"], use_java=False)
    in_memory = M.score(preds, refs, metrics=["bleu", "cider_d"], use_java=False)
    assert (from_file.bleu_4, from_file.cider_d) == (in_memory.bleu_4, in_memory.cider_d)
    # and against the COCO annotations file itself (int ids there too)
    assert M.score_coco_files(tmp_path/"res.json", ann, metrics=["cider_d"], use_java=False).cider_d == in_memory.cider_d


def test_reader_errors_name_the_file(tmp_path):
    (tmp_path/"r.json").write_text(json.dumps([{"image_id": 1, "caption": 5}]))
    with pytest.raises(DatasetError, match=r"r.json: entry 0: caption is a int"): M.as_predictions(tmp_path/"r.json")
    (tmp_path/"r.json").write_text('[{"image_id": 1, "caption": "x"}')
    with pytest.raises(DatasetError, match=r"r.json: line 1: not valid JSON"): M.as_predictions(tmp_path/"r.json")
    with pytest.raises(DatasetError, match="entry 0"): M.as_predictions([{"caption": "x"}])
