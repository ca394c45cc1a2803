"""Bad-input sweep over every dataset format of personacap.data.

Each test writes a fixture in the real layout (personacap.data.write_fixture), breaks it in one
way, and checks that (a) the default load raises a DatasetError that names the file (and the
line, for line-based formats) and the problem, and (b) on_error="skip" loads the rest and counts
what it skipped, with a warning.
"""
import json, shutil, warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from personacap.core import DatasetError, ImageError, ConfigError
from personacap.data import (FIXTURE_FORMATS, write_fixture, load_format, load_image, check_images, write_png_bomb,
                             Record, load_coco_results, load_flickr8k)

# the Kaggle fixture has no split files: its hash-split warning is expected here (tests/test_data_splits.py checks it)
pytestmark = pytest.mark.filterwarnings("ignore:.*hash split")

LINE_FORMATS = ["flickr8k_kaggle", "flickr8k", "flickr30k", "narratives", "judgments"]
IMAGE_FORMATS = ["flickr8k_kaggle", "flickr8k", "flickr30k", "karpathy", "coco", "narratives"]
IMAGE_DIR = {  # where each fixture keeps its images, relative to its main file
    "flickr8k_kaggle": lambda f: f.parent/"Images", "flickr8k": lambda f: f.parent.parent/"Flicker8k_Dataset",
    "flickr30k": lambda f: f.parent/"flickr30k_images", "karpathy": lambda f: f.parent/"Images",
    "coco": lambda f: f.parent.parent/"val2017", "narratives": lambda f: f.parent/"val2017"}


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    root = tmp_path_factory.mktemp("fixtures")
    return root, {fmt: write_fixture(fmt, root/fmt) for fmt in FIXTURE_FORMATS}


@pytest.fixture
def copy(pristine, tmp_path):
    "copy(fmt) -> the main file of a fresh, writable copy of that fixture."
    root, files = pristine
    def make(fmt):
        shutil.copytree(root/fmt, tmp_path/fmt)
        return tmp_path/fmt/files[fmt].relative_to(root/fmt)
    return make


def lines_of(f): return f.read_bytes().split(b"\n")
def write_lines(f, L): f.write_bytes(b"\n".join(L))
def set_line(f, n, new):
    L = lines_of(f); L[n - 1] = new if isinstance(new, bytes) else new.encode(); write_lines(f, L)


def expect_error(fmt, f, *words, cls=DatasetError):
    with pytest.raises(cls) as e: load_format(fmt, f)
    msg = str(e.value)
    for w in words: assert w in msg, msg
    return e.value


def expect_skip(fmt, f, kind, **kw):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        got = load_format(fmt, f, on_error="skip", **kw)
    assert got.skipped.get(kind, 0) >= 1, got.skipped
    assert any("skipped" in str(x.message) for x in w)
    return got


@pytest.mark.parametrize("fmt", FIXTURE_FORMATS)
def test_every_fixture_loads(pristine, fmt):
    root, files = pristine
    got = load_format(fmt, files[fmt])
    assert len(got) > 0 and not got.skipped


@pytest.mark.parametrize("fmt", FIXTURE_FORMATS)
def test_invalid_utf8_names_file_and_line(copy, fmt):
    f = copy(fmt)
    if fmt in ("karpathy", "coco"):            # one-line JSON: the bad byte is on line 1
        f.write_bytes(f.read_bytes().replace(b"shapes", b"shap\xe9s", 1)); line = 1
    else:
        set_line(f, 3, lines_of(f)[2].replace(b"a", b"\xff", 1)); line = 3
    e = expect_error(fmt, f, f"line {line}: invalid UTF-8", f.name)
    assert e.path == f


@pytest.mark.parametrize("fmt", ["flickr8k_kaggle", "flickr8k", "flickr30k", "narratives"])
def test_invalid_utf8_skipped_and_counted(copy, fmt):
    f = copy(fmt)
    set_line(f, 3, lines_of(f)[2].replace(b"a", b"\xff", 1))
    expect_skip(fmt, f, "invalid utf-8")


@pytest.mark.parametrize("fmt", FIXTURE_FORMATS)
def test_empty_file(copy, fmt):
    f = copy(fmt); f.write_bytes(b"")
    expect_error(fmt, f, "is empty", f.name)


@pytest.mark.parametrize("fmt", FIXTURE_FORMATS)
def test_missing_annotation_file(copy, fmt):
    f = copy(fmt); f.unlink()
    with pytest.raises(DatasetError) as e: load_format(fmt, f)
    assert "no such" in str(e.value) or "not found" in str(e.value) or "neither" in str(e.value)


@pytest.mark.parametrize("fmt", IMAGE_FORMATS)
def test_missing_image(copy, fmt):
    f = copy(fmt)
    victim = sorted(IMAGE_DIR[fmt](f).iterdir())[0]; victim.unlink()
    e = expect_error(fmt, f, victim.stem.lstrip("0"), "not")
    assert e.path is not None and e.path.suffix in (".txt", ".csv", ".json", ".jsonl")
    got = expect_skip(fmt, f, "missing image")
    assert all(r.image_path != victim for r in got)


@pytest.mark.parametrize("fmt,line,new", [
    ("flickr8k_kaggle", 3, "1000000000_x.jpg,   "),
    ("flickr8k", 2, "1000000000_x.jpg#1\t  "),
    ("flickr30k", 2, "1000092795.jpg| 0|    "),
    ("narratives", 1, None),
])
def test_empty_or_whitespace_caption(copy, fmt, line, new):
    f = copy(fmt)
    if fmt == "narratives":
        L = lines_of(f); d = json.loads(L[0]); d["caption"] = "  \t "; L[0] = json.dumps(d).encode(); write_lines(f, L)
    else: set_line(f, line, new)
    expect_error(fmt, f, f"line {line}: empty caption")
    expect_skip(fmt, f, "empty caption")


@pytest.mark.parametrize("fmt", ["karpathy", "coco"])
def test_empty_caption_in_json(copy, fmt):
    f = copy(fmt); d = json.loads(f.read_text())
    if fmt == "karpathy": d["images"][2]["sentences"][1]["raw"] = "   "
    else: d["annotations"][3]["caption"] = ""
    f.write_text(json.dumps(d))
    expect_error(fmt, f, "empty caption", f.name)
    expect_skip(fmt, f, "empty caption")


@pytest.mark.parametrize("fmt,line,new,words", [
    ("flickr8k_kaggle", 4, "just_one_field", "line 4: expected 2 comma-separated"),
    ("flickr8k", 5, "img.jpg#0", "line 5: expected 2 tab-separated"),
    ("flickr8k", 5, "a\tb\tc", "line 5: expected 2 tab-separated"),
    ("flickr30k", 6, "1.jpg| 0| a | b", "line 6: expected 3"),
    ("flickr30k", 6, "1.jpg| zero| a caption", "line 6: comment_number 'zero'"),
    ("judgments", 4, "s00,face_000,face_001,friendly,a,extra", "line 4: expected 5"),
    ("judgments", 4, "s00,face_000,face_000,friendly,a", "line 4: image_a and image_b are both"),
    ("judgments", 4, "s00,face_000,,friendly,a", "line 4: a field is empty"),
    ("narratives", 3, '{"image_id": "139", "caption": "x"}', "line 3: missing"),
])
def test_malformed_rows(copy, fmt, line, new, words):
    f = copy(fmt); set_line(f, line, new)
    expect_error(fmt, f, words, f.name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = load_format(fmt, f, on_error="skip")
    assert sum(got.skipped.values()) == 1


def test_wrong_header(copy):
    f = copy("flickr8k_kaggle"); set_line(f, 1, "filename,text")
    expect_error("flickr8k_kaggle", f, "line 1: header")
    f = copy("flickr30k"); set_line(f, 1, "image| caption")
    expect_error("flickr30k", f, "line 1: header")
    f = copy("judgments"); set_line(f, 1, "user,image_a,image_b,attribute,choice")
    expect_error("judgments", f, "line 1: header lacks ['user_id']")


@pytest.mark.parametrize("fmt", ["karpathy", "coco"])
def test_truncated_json(copy, fmt):
    f = copy(fmt); raw = f.read_bytes(); f.write_bytes(raw[: len(raw) // 2])
    expect_error(fmt, f, "not valid JSON", f.name)


def test_karpathy_missing_field_and_bad_split(copy):
    f = copy("karpathy"); d = json.loads(f.read_text())
    del d["images"][1]["sentences"]; d["images"][2]["split"] = "holdout"; f.write_text(json.dumps(d))
    expect_error("karpathy", f, "images[1] lacks")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = load_format("karpathy", f, on_error="skip")
    assert got.skipped == {"missing field": 1, "bad split": 1} and len(got) == 6


def test_coco_annotation_for_unknown_image(copy):
    f = copy("coco"); d = json.loads(f.read_text()); d["annotations"][0]["image_id"] = 424242; f.write_text(json.dumps(d))
    expect_error("coco", f, "image_id 424242")


def test_split_file_names_unknown_image(copy):
    f = copy("flickr8k")
    (f.parent/"Flickr_8k.testImages.txt").write_text((f.parent/"Flickr_8k.testImages.txt").read_text() + "ghost_1.jpg\n")
    e = expect_error("flickr8k", f, "Flickr_8k.testImages.txt", "line 2", "ghost_1.jpg")
    assert e.path.name == "Flickr_8k.testImages.txt"
    expect_skip("flickr8k", f, "unknown image in split file")


def test_token_file_images_outside_splits_are_counted(copy):
    f = copy("flickr8k")
    lines = (f.parent/"Flickr_8k.trainImages.txt").read_text().splitlines()
    (f.parent/"Flickr_8k.trainImages.txt").write_text("\n".join(lines[1:]) + "\n")
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        got = load_format("flickr8k", f)
    assert len(got) == 7 and got.skipped == {"not in any split": 1}


def test_judgments_unknown_image_and_choice_forms(copy):
    f = copy("judgments")
    imgs = [p.stem for p in (f.parent/"images").iterdir()]
    set_line(f, 2, "s00,face_000,nobody,friendly,a")
    with pytest.raises(DatasetError, match="line 2: unknown image 'nobody'"): load_format("judgments", f, images=imgs)
    set_line(f, 2, "s00,face_000.png,face_001.png,friendly,face_001")
    set_line(f, 3, "s00,face_000,face_001,friendly,0")
    j = load_format("judgments", f, images=imgs)
    assert (j.image_a[0], j.chose_a[0], j.chose_a[1]) == ("face_000", False, True)


@pytest.mark.parametrize("damage", ["truncated", "not_an_image", "html"])
@pytest.mark.parametrize("fmt", ["flickr8k_kaggle", "coco"])
def test_broken_image_caught_by_verify(copy, fmt, damage):
    f = copy(fmt)
    victim = sorted(IMAGE_DIR[fmt](f).iterdir())[1]; raw = victim.read_bytes()
    victim.write_bytes({"truncated": raw[: len(raw) // 3], "not_an_image": b"\x00\x01garbage" * 10,
                        "html": b"<!DOCTYPE html><html>404</html>"}[damage])
    assert len(load_format(fmt, f)) == 8                         # existence check alone passes
    with pytest.raises(ImageError) as e: load_format(fmt, f, verify_images=True)
    assert victim.name in str(e.value)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = load_format(fmt, f, verify_images=True, on_error="skip")
    assert len(got) == 7 and got.skipped.get("bad image") == 1


def test_decompression_bomb_refused(tmp_path):
    p = write_png_bomb(tmp_path/"bomb.png", 60_000, 60_000)
    with pytest.raises(ImageError, match="decompression bomb"): load_image(p)
    Image.new("RGB", (100, 100)).save(tmp_path/"ok.png")
    with pytest.raises(ImageError, match="max_pixels=9,999"): load_image(tmp_path/"ok.png", max_pixels=9_999)
    assert load_image(tmp_path/"ok.png", max_pixels=10_000).size == (100, 100)


@pytest.mark.parametrize("mode", ["L", "P", "RGBA", "LA", "CMYK", "I;16", "I", "F", "1"])
def test_every_mode_becomes_rgb(tmp_path, mode):
    if mode == "I;16": im = Image.fromarray(np.full((5, 6), 65535, np.uint16))
    elif mode == "I": im = Image.fromarray(np.full((5, 6), 65535, np.int32))
    elif mode == "F": im = Image.fromarray(np.full((5, 6), 255.0, np.float32))
    else: im = Image.new(mode, (6, 5))
    ext = ".jpg" if mode == "CMYK" else ".tif" if mode in ("I", "F") else ".png"
    im.save(tmp_path/f"x{ext}")
    out = load_image(tmp_path/f"x{ext}")
    assert out.mode == "RGB" and out.size == (6, 5)
    if mode in ("I;16", "I", "F"): assert np.asarray(out).min() == 255


def test_folder_instead_of_file(tmp_path):
    (tmp_path/"d.jpg").mkdir()
    with pytest.raises(ImageError, match="is a folder"): load_image(tmp_path/"d.jpg")


def test_bad_on_error_value(pristine):
    root, files = pristine
    with pytest.raises(ConfigError, match="on_error"): load_format("flickr30k", files["flickr30k"], on_error="ignore")


def test_dataset_root_missing(tmp_path):
    with pytest.raises(DatasetError, match="dataset folder not found"): load_flickr8k(tmp_path/"nowhere")
    (tmp_path/"empty").mkdir()
    with pytest.raises(DatasetError, match="neither captions.txt"): load_flickr8k(tmp_path/"empty")


def test_coco_results_errors(tmp_path):
    (tmp_path/"r.json").write_text('[{"image_id": 1, "caption": "a"}, {"image_id": 1, "caption": "b"}]')
    with pytest.raises(DatasetError, match="appears twice"): load_coco_results(tmp_path/"r.json")
    (tmp_path/"r.json").write_text('{"image_id": 1}')
    with pytest.raises(DatasetError, match="JSON list"): load_coco_results(tmp_path/"r.json")


class ImageFiles(torch.utils.data.Dataset):
    "The images at `paths`, decoded by `load_image` (inside the worker), as (3, H, W) uint8 tensors."
    def __init__(self, paths): self.paths = list(paths)
    def __len__(self): return len(self.paths)
    def __getitem__(self, i): return torch.from_numpy(np.asarray(load_image(self.paths[i])).copy()).permute(2, 0, 1)


def test_bad_image_in_dataloader_worker_names_file(tmp_path):
    Image.new("RGB", (6, 5), (10, 20, 30)).save(tmp_path/"good.png")
    (tmp_path/"bad.jpg").write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 30)
    ok = next(iter(torch.utils.data.DataLoader(ImageFiles([tmp_path/"good.png"]), batch_size=1, num_workers=1)))
    assert ok.shape == (1, 3, 5, 6) and ok[0, :, 0, 0].tolist() == [10, 20, 30]
    dl = torch.utils.data.DataLoader(ImageFiles([tmp_path/"good.png", tmp_path/"bad.jpg"]), batch_size=2, num_workers=1)
    with pytest.raises(ImageError) as e: next(iter(dl))      # PyTorch re-raises the worker's ImageError in the main process
    assert "DataLoader worker" in str(e.value) and f"ImageError: {tmp_path/'bad.jpg'}: " in str(e.value)   # our message, naming the file
    with pytest.raises(ImageError, match="bad.jpg"): check_images([Record(tmp_path/"bad.jpg", "bad", "train", ["a red circle"])])
