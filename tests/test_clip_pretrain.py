"`pretrain-clip` as a library function, its atomic swap, and the memoised CLIP fingerprint."
import hashlib
import os
import re
from pathlib import Path

import pytest
import torch

from personacap import clip as C


def test_library_does_not_import_the_cli():
    src = Path(C.__file__).read_text()
    assert "personacap.cli" not in src and "from .cli" not in src


def test_pretrain_clip_main_writes_a_card_and_replaces_atomically(tmp_path, capsys):
    out = tmp_path / "tiny_clip"
    out.mkdir(); (out / "README.md").write_text("old checkpoint")
    rc = C.pretrain_clip_main(["--steps", "2", "--batch-size", "8", "--corpus", "40", "--out", str(out)])
    assert rc == 0
    card = (out / "README.md").read_text()
    assert "personacap pretrain-clip --steps 2 --batch-size 8 --corpus 40 --out" in card
    assert "portrait and shape twins,\n  a rendered corpus of 40 scenes" in card
    for attr in ("expression", "eyes", "hair", "glasses", "hat", "background", "skin", "face", "shape", "colour", "size", "position"):
        assert f"| {attr} |" in card
    assert re.search(r"\n\| 2 \| 0\.\d{3} \|\n", card)                     # the validation table ends at the last step
    assert C.load_clip("tiny", path=out).dim > 0                     # a complete, loadable checkpoint
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tiny_clip"]   # no temporary or old folder left
    assert "text-to-image R@1" in capsys.readouterr().out


def test_a_crash_mid_swap_is_recovered(tmp_path, monkeypatch):
    out, new = tmp_path / "tiny_clip", tmp_path / "new"
    for d, v in ((out, "old"), (new, "new")):
        d.mkdir(); (d / "config.json").write_text(v)
    real, calls = os.replace, []
    def crash(a, b):
        calls.append((a, b))
        if len(calls) == 2: raise OSError("disk full")
        return real(a, b)
    monkeypatch.setattr(C.os, "replace", crash)
    with pytest.raises(OSError):
        C._swap_into(new, out)
    monkeypatch.setattr(C.os, "replace", real)
    assert not out.exists() and (tmp_path / ".tiny_clip.old" / "config.json").read_text() == "old"
    monkeypatch.setattr(C, "data_dirs", lambda: [tmp_path])
    monkeypatch.setattr(C, "data_path", lambda name: (_ for _ in ()).throw(C.PersonacapError("missing")))
    assert C.default_clip_dir() == tmp_path / ".tiny_clip.old"       # loaders still find a checkpoint


def _bundle():
    tok = C.train_clip_tokenizer(["a red circle", "a smiling face"])
    return C.build_tiny_clip(tok, "tiny", seed=0)


def test_fingerprint_is_memoised_and_invalidated(monkeypatch):
    b = _bundle()
    fp = C.clip_fingerprint(b)
    n = []
    real = hashlib.sha256
    monkeypatch.setattr(C.hashlib, "sha256", lambda *a: (n.append(1), real(*a))[1])
    assert C.clip_fingerprint(b) == fp and n == [], "an unchanged model must not be rehashed"
    opt = torch.optim.SGD(b.model.parameters(), lr=0.1)
    b.model.visual_projection.weight.grad = torch.ones_like(b.model.visual_projection.weight)
    opt.step()                                                        # in place: bumps the version counter
    assert C.clip_fingerprint(b) != fp and len(n) >= 1               # rehashed (code_digest hashes too)
    b.model.load_state_dict(_bundle().model.state_dict())             # back to the original values
    assert C.clip_fingerprint(b) == fp


def test_fingerprint_hashes_dtype():
    b = _bundle(); fp = C.clip_fingerprint(b)
    b.model.to(torch.float64)
    assert C.clip_fingerprint(b) != fp


def test_groups_share_a_batch_and_bad_rows_are_named():
    "A group of pairs is one example: the collate flattens it, so a source and its twin always meet in one batch."
    b = _bundle()
    px = torch.zeros(3, 3, 8, 8)
    ds = C._PairDataset([["a red circle"], ["a smiling face"]], groups=[[(0, "a red circle"), (2, "a frowning face")]])
    assert len(ds) == 3 and ds[2] == [(0, "a red circle"), (2, "a frowning face")]
    batch = C._clip_collate(px, b.tokenizer)([ds[0], ds[2]])
    assert batch["pixel_values"].shape[0] == 3 and batch["input_ids"].shape[0] == 3
    cfg = C.TrainConfig(max_steps=1, batch_size=2, progress=False)
    with pytest.raises(C.ConfigError, match="outside the 3 images"):
        C.pretrain_clip(b, px, [["a red circle"], ["a smiling face"]], cfg, groups=[[(0, "x"), (5, "y")]])
    with pytest.raises(C.ConfigError, match="caption lists"):
        C.pretrain_clip(b, px[:1], [["a"], ["b"]], cfg)
