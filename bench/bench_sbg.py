"""Keyword selection for 1,000 images: one batched call vs a loop over images, without and with the prompt hierarchy.

Run: OMP_NUM_THREADS=1 python bench/bench_sbg.py   (preset from $PERSONACAP_PRESET, default tiny: shipped tiny CLIP,
world vocabulary of the preset's `sbg_vocab_size`). Prints the timings and checks that both ways give the same
keywords. Not a test."""
import time
import torch
from personacap.core import get_preset, data_path
from personacap.data import load_world
from personacap.clip import load_clip, clip_features
from personacap.sbg import KeywordSelector, keyword_vocabulary, load_hierarchy, WORLD_HIERARCHY

def timed(f):
    f()                                                                   # warm up (and fill the embedding cache)
    t0 = time.perf_counter(); out = f(); return out, time.perf_counter() - t0

def main():
    p = get_preset()
    world, clip = load_world(p), load_clip(p)
    recs = world.captions[:1000]
    emb = clip_features(clip, recs)
    vocab = keyword_vocabulary([c for r in world.captions.split("train") for c in r.captions], size=p.sbg_vocab_size)
    for name, tree in (("top keywords only", None), ("top keywords + hierarchy", load_hierarchy(data_path(WORLD_HIERARCHY)))):
        sel = KeywordSelector(clip, vocab, template="a photo of a {}", tree=tree)
        b, tb = timed(lambda: sel(emb, threshold=0.5).keywords)
        l, tl = timed(lambda: [sel(emb[i:i + 1], threshold=0.5).keywords[0] for i in range(len(emb))])
        assert b == l, f"{name}: batched and looped selection disagree"
        print(f"{name}, {len(emb)} images x {len(vocab)} keywords: batched {1e3 * tb:.1f} ms, "
              f"one image at a time {1e3 * tl:.1f} ms ({tl / tb:.0f}x)")


if __name__ == "__main__": main()
