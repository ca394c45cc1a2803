"""Smoke run of an installed personacap, from outside the repository (CI runs it in a fresh venv with the built wheel).

It checks that the shipped data (tiny CLIP, general tokenizer, SBG hierarchy) is inside the package, that the synthetic
world builds, and that a captioner trains a few steps and captions test images, all through the public API."""
import os, sys, tempfile, time
from pathlib import Path

t0 = time.time()
import personacap
from personacap.core import data_path, get_preset, TrainConfig
here = Path(personacap.__file__).resolve().parent
assert "site-packages" in str(here), f"personacap imported from {here}, not from an installed wheel"
for name in ("tiny_clip", "general_bpe", "sbg_hierarchy_world.json"):
    p = data_path(name)
    assert here in p.resolve().parents, f"{name} found at {p}, outside the installed package {here}"
from personacap.text import general_tokenizer
from personacap.data import load_world
from personacap.clip import load_clip, clip_features
from personacap.clipcap import train_clipcap
os.environ.setdefault("PERSONACAP_CACHE", tempfile.mkdtemp())
world = load_world("tiny")
bundle = load_clip("tiny")
tr, va, te = (world.captions.split(s)[:n] for s, n in (("train", 256), ("val", 32), ("test", 8)))
run = train_clipcap(tr, va, clip_features(bundle, tr), clip_features(bundle, va), "ours", "tiny", steps=5, progress=False)
caps = run.caption(clip_features(bundle, te))
assert len(caps) == 8 and all(isinstance(c, str) for c in caps), caps
print(f"installed personacap {personacap.__version__} from {here}: data found, world built, ClipCap trained 5 steps, "
      f"captioned {len(caps)} images (e.g. {caps[0]!r}) in {time.time() - t0:.0f} s")
