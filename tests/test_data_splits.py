"Where splits come from: Flickr8k's standard split files in either layout, hash splits said out loud, Karpathy JSON gaps."
import json, shutil, warnings
from collections import Counter

import pytest

from personacap.core import DatasetError
from personacap.data import (FLICKR8K_SPLIT_FILES, assign_split, check_images, load_flickr8k, load_flickr30k, write_fixture)


@pytest.fixture(scope="module")
def fx(tmp_path_factory):
    root = tmp_path_factory.mktemp("fx")
    for fmt in ("flickr8k_kaggle", "flickr8k", "flickr30k"): write_fixture(fmt, root/fmt)
    return root


@pytest.fixture
def work(fx, tmp_path):
    def make(fmt): shutil.copytree(fx/fmt, tmp_path/fmt); return tmp_path/fmt
    return make


def load_quiet(*a, **kw):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        got = load_flickr8k(*a, **kw)
    return got, [str(x.message) for x in w]


def standard(fx):
    got, msgs = load_quiet(fx/"flickr8k")
    assert got.split_method == "standard split files" and not any("hash split" in m for m in msgs)
    return {r.image_id: r.split for r in got}


def test_kaggle_without_split_files_says_it_used_a_hash_split(fx):
    got, msgs = load_quiet(fx/"flickr8k_kaggle")
    assert got.split_method == "hash" and "(hash)" in repr(got)
    assert any("hash split" in m and "captions.txt" in m and "6000/1000/1000" in m for m in msgs)
    assert {r.image_id: r.split for r in got} == {r.image_id: assign_split(r.image_path.name) for r in got}


def test_kaggle_with_split_files_next_to_captions_uses_the_standard_split(fx, work):
    d = work("flickr8k_kaggle")
    for _, f in FLICKR8K_SPLIT_FILES: shutil.copy(fx/"flickr8k"/"Flickr8k_text"/f, d/f)
    got, msgs = load_quiet(d)
    assert got.split_method == "standard split files" and not msgs
    assert {r.image_id: r.split for r in got} == standard(fx)
    assert Counter(r.split for r in got) == Counter(train=6, val=1, test=1)


def test_kaggle_with_split_dir(fx):
    got, msgs = load_quiet(fx/"flickr8k_kaggle", split_dir=fx/"flickr8k"/"Flickr8k_text")
    assert got.split_method == "standard split files" and not msgs
    assert {r.image_id: r.split for r in got} == standard(fx)


def test_split_dir_errors(fx, tmp_path):
    with pytest.raises(DatasetError, match="split folder not found"): load_flickr8k(fx/"flickr8k_kaggle", split_dir=tmp_path/"nope")
    (tmp_path/"part").mkdir(); shutil.copy(fx/"flickr8k"/"Flickr8k_text"/"Flickr_8k.trainImages.txt", tmp_path/"part")
    with pytest.raises(DatasetError, match=r"part: split folder lacks \['Flickr_8k.devImages.txt'"):
        load_flickr8k(fx/"flickr8k_kaggle", split_dir=tmp_path/"part")


def test_original_layout_without_split_files_warns(work):
    d = work("flickr8k")
    for _, f in FLICKR8K_SPLIT_FILES: (d/"Flickr8k_text"/f).unlink()
    got, msgs = load_quiet(d)
    assert got.split_method == "hash" and any("Flickr8k.token.txt" in m and "hash split" in m for m in msgs)
    assert all(r.split in ("train", "val", "test") for r in got)


def test_split_method_survives_split_and_check_images(fx):
    got, _ = load_quiet(fx/"flickr8k")
    assert got.split("train").split_method == "standard split files"
    assert check_images(got).split_method == "standard split files"


def karpathy_json(names, path):
    imgs = [{"filename": n, "split": ["train", "val", "test"][i % 3], "sentences": [{"raw": "x"}]} for i, n in enumerate(names)]
    path.write_text(json.dumps({"images": imgs, "dataset": "flickr30k"})); return path


def test_flickr30k_image_missing_from_karpathy_json(fx, tmp_path):
    names = sorted(p.name for p in (fx/"flickr30k"/"flickr30k_images"/"flickr30k_images").iterdir())
    full = load_flickr30k(fx/"flickr30k", karpathy_json=karpathy_json(names, tmp_path/"all.json"))
    assert full.split_method == "karpathy json" and len(full) == 8 and all(r.split is not None for r in full)
    part = karpathy_json(names[2:], tmp_path/"part.json")
    with pytest.raises(DatasetError) as e: load_flickr30k(fx/"flickr30k", karpathy_json=part)
    assert e.value.path == part and "2 of the 8 images" in str(e.value) and "no split" in str(e.value)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        got = load_flickr30k(fx/"flickr30k", karpathy_json=part, on_error="skip")
    assert len(got) == 6 and got.skipped == {"not in the Karpathy split": 2} and any("skipped 2" in str(x.message) for x in w)
    assert all(r.split is not None for r in got)


def test_flickr30k_without_karpathy_is_a_hash_split(fx):
    got = load_flickr30k(fx/"flickr30k")
    assert got.split_method == "hash" and all(r.split == assign_split(r.image_path.name) for r in got)
