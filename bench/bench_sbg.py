"""Keyword selection for 1,000 images: one batched matrix product vs a loop over images.

Run: OMP_NUM_THREADS=1 python bench/bench_sbg.py   (tiny preset: shipped tiny CLIP, world vocabulary)
Prints the two timings and checks that both give the same keywords. Not a test."""
import time
import torch
from personacap.data import load_world
from personacap.clip import load_clip, clip_features
from personacap.sbg import KeywordSelector, keyword_vocabulary, select_keywords

def main():
    world, clip = load_world("tiny"), load_clip("tiny")
    recs = world.captions[:1000]
    emb = clip_features(clip, recs)
    vocab = keyword_vocabulary([c for r in world.captions.split("train") for c in r.captions], size=60)
    sel = KeywordSelector(clip, vocab, template="a {} shape")

    def batched(): return sel(emb, threshold=0.5)
    def looped(): return [select_keywords(sel.probs(emb[i:i + 1]), vocab, 0.5).keywords[0] for i in range(len(emb))]

    for f in (batched, looped): f()                                     # warm up
    t0 = time.perf_counter(); b = batched(); t1 = time.perf_counter(); l = looped(); t2 = time.perf_counter()
    assert b.keywords == l, "batched and looped selection disagree"
    print(f"keyword selection, {len(emb)} images x {len(vocab)} keywords: batched {1e3 * (t1 - t0):.1f} ms, "
          f"one image at a time {1e3 * (t2 - t1):.1f} ms ({(t2 - t1) / (t1 - t0):.0f}x)")


if __name__ == "__main__": main()
