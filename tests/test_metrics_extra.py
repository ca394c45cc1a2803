"Cases of personacap.metrics that do not belong in the chapter: edge inputs, Java failure paths, parity sweeps."
import json, sys, time, warnings

import numpy as np
import pytest

import personacap.metrics as M
from personacap.core import ConfigError, DatasetError

needs_java = pytest.mark.skipif(not M.java_available(), reason="needs Java")


def nw_loop(S, gap):
    n, m = S.shape
    H = np.zeros((n + 1, m + 1)); H[0] = gap * np.arange(m + 1); H[:, 0] = gap * np.arange(n + 1)
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            H[i, j] = max(H[i - 1, j - 1] + S[i - 1, j - 1], H[i - 1, j] + gap, H[i, j - 1] + gap)
    return H[n, m]


@pytest.mark.parametrize("gap", [0.0, -1.0, -0.3, 0.5])
def test_needleman_wunsch_matches_plain_loop(gap):
    rng = np.random.default_rng(1)
    for _ in range(20):
        S = rng.normal(size=(rng.integers(0, 9), rng.integers(0, 9)))
        al = M.needleman_wunsch(S, gap=gap)
        assert abs(al.score - nw_loop(S, gap)) < 1e-9
        # the traceback is a valid global alignment whose score is the optimum
        got = sum(S[i, j] if i is not None and j is not None else gap for i, j in al.pairs)
        assert abs(got - al.score) < 1e-9
        assert [i for i, _ in al.pairs if i is not None] == list(range(S.shape[0]))
        assert [j for _, j in al.pairs if j is not None] == list(range(S.shape[1]))


def test_dtw_errors_and_1d():
    with pytest.raises(ConfigError): M.dtw([], [1.0])
    assert M.dtw([0.0, 3.0], [0.0, 3.0, 3.0, 3.0]) == 0.0


def _coco_sets(preds, refs):
    res = {k: [M.simple_tokenize(v)] for k, v in preds.items()}
    gts = {k: [M.simple_tokenize(c) for c in v] for k, v in refs.items()}
    return res, gts


def test_rederivations_match_pycocoevalcap_on_edge_cases():
    from pycocoevalcap.bleu.bleu import Bleu
    from pycocoevalcap.cider.cider import Cider
    preds, refs = M.toy_captions(80, 5, seed=7)
    preds[0] = ""                                   # empty hypothesis
    preds[1] = "zebra zebra zebra"                  # n-grams no reference has, repeated
    preds[2] = "a"                                  # one word
    refs[3] = refs[3][:1]                           # a single reference
    refs[4] = refs[4] + ["a dog", "a dog"]          # seven references, duplicates
    res, gts = _coco_sets(preds, refs)
    b, _ = Bleu(4).compute_score(gts, res, verbose=0)
    assert np.allclose(M.bleu_from_scratch(res, gts), b, atol=1e-9)
    c, cs = Cider().compute_score(gts, res)
    ours, ours_per = M.cider_d_from_scratch(res, gts)
    assert abs(ours - c) < 1e-9 and np.allclose(ours_per, cs, atol=1e-9)


def test_score_inputs_and_errors(tmp_path):
    preds, refs = M.toy_captions(5, 3)
    with pytest.raises(DatasetError, match="nope.json: no such"):
        M.score_coco_files(tmp_path / "nope.json", tmp_path / "nope.json")
    (tmp_path / "ann.json").write_text(json.dumps({"annotations": [{"image_id": 1}]}))
    with pytest.raises(DatasetError, match="ann.json: entry 0"):
        M.as_references(tmp_path / "ann.json")
    with pytest.raises(DatasetError, match="appears twice"):
        M.as_predictions([{"image_id": 1, "caption": "a"}, {"image_id": 1, "caption": "b"}])
    with pytest.raises(DatasetError, match="no references"):
        M.score({k + 100: v for k, v in preds.items()}, refs, use_java=False)
    with pytest.raises(ConfigError, match="unknown tokenizer"):
        M.score(preds, refs, tokenizer="spacy", use_java=False)
    with pytest.raises(ConfigError, match="needs Java"):
        M.score(preds, refs, tokenizer="ptb", use_java=False)


def test_use_java_true_without_java(monkeypatch):
    monkeypatch.setattr(M.shutil, "which", lambda name: None)
    preds, refs = M.toy_captions(3, 2)
    with pytest.raises(ConfigError, match="no `java`"):
        M.score(preds, refs, use_java=True)
    with pytest.warns(UserWarning, match="METEOR skipped"):
        s = M.score(preds, refs)                     # auto-detect: no Java -> pure Python, METEOR skipped
    assert s.tokenizer == "simple" and s.meteor is None and "meteor" in s.skipped


def test_meteor_that_hangs_becomes_a_warning(monkeypatch):
    "A METEOR process that never answers must cost the timeout, then a warning, never a hang."
    monkeypatch.setattr(M, "java_available", lambda: True)
    monkeypatch.setattr(M.MeteorProcess, "CMD", [sys.executable, "-c", "import time; time.sleep(60)"])
    monkeypatch.setattr(M, "_METEOR", None)
    preds, refs = M.toy_captions(20, 3)
    t0 = time.monotonic()
    with pytest.warns(UserWarning, match="METEOR skipped"):
        s = M.score(preds, refs, tokenizer="simple", use_java=True, timeout=2)
    assert time.monotonic() - t0 < 20
    assert s.meteor is None and "did not answer" in s.skipped["meteor"] and s.bleu_4 is not None
    assert M._METEOR is None                         # the broken process is not kept


def test_meteor_that_dies_becomes_a_warning(monkeypatch):
    monkeypatch.setattr(M, "java_available", lambda: True)
    monkeypatch.setattr(M.MeteorProcess, "CMD", [sys.executable, "-c", "import sys; sys.stderr.write('boom'); sys.exit(3)"])
    monkeypatch.setattr(M, "_METEOR", None)
    preds, refs = M.toy_captions(4, 2)
    with pytest.warns(UserWarning, match="METEOR skipped"):
        s = M.score(preds, refs, tokenizer="simple", use_java=True, timeout=30)
    assert "boom" in s.skipped["meteor"]


@needs_java
def test_ptb_wrapper_equals_pycocoevalcap():
    from pycocoevalcap.tokenizer.ptbtokenizer import PTBTokenizer
    caps = ["A man's dog can't swim.", "", "Two (happy) kids!", "The U.S. flag, isn't it?", "a/b 50% off", "x"]
    ref = PTBTokenizer().tokenize({i: [{"caption": c}] for i, c in enumerate(caps)})
    assert M.ptb_tokenize(caps) == [ref[i][0] for i in range(len(caps))]


@needs_java
def test_meteor_wrapper_equals_pycocoevalcap():
    from pycocoevalcap.meteor.meteor import Meteor
    preds, refs = M.toy_captions(30, 4, seed=2)
    res, gts = _coco_sets(preds, refs)
    lib, lib_per = Meteor().compute_score(gts, res)
    ours, per = M.meteor_score([res[k][0] for k in res], [gts[k] for k in res])
    assert abs(ours - lib) < 1e-12 and np.allclose(per, lib_per)


def test_human_baseline_folds():
    refs = {0: ["a b c d", "a b c e", "a b c f"], 1: ["x y z w", "x y z w", "x y z v"], 2: ["only one"]}
    hb = M.human_baseline(refs, metrics=["bleu", "rouge_l"], use_java=False)
    assert hb.n_images == 2 and "3 leave-one-out rounds" in hb.skipped["human_baseline"]
    # round by round by hand for ROUGE-L: each candidate's best reference shares 3 of 4 words, except
    # image 1's first two candidates, which have an identical twin
    assert abs(hb.rouge_l - np.mean([(0.75 + 1.0) / 2, (0.75 + 1.0) / 2, (0.75 + 0.75) / 2])) < 1e-9


def test_oss_and_cls_edges():
    assert M.ordered_noun_similarity("a dog", "nothing here") == 0.0
    r = M.oss({1: "a dog on a bench"}, {1: ["a cat", "a dog near a bench"]})
    assert r["oss"] == 1.0                           # the best reference counts
    with pytest.raises(ConfigError, match="expected"):
        M.cls_accuracy(["i"], ["a"], ["t"], classifier=lambda t: np.zeros((1, 5)), subjects=["a", "b"])
