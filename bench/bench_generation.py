"""Batched vs one-at-a-time caption generation with the tiny ClipCap.

Generates N captions (default 1,000) from random CLIP embeddings twice with the same
weights: once through `generate_captions` in batches (one `generate` call per batch,
KV cache on), once with one `generate` call per image. Every caption is forced to the same
length (`min_new_tokens = max_new_tokens`) so both runs do exactly the same number of
decoding steps per image, and the two runs must produce identical captions.

    OMP_NUM_THREADS=1 python bench/bench_generation.py [--n 1000] [--batch-size 1000] [--tokens 12] [--num-beams 1]
"""
import argparse, platform, time

import torch
from transformers.utils import logging as hf_logging

from personacap.core import get_preset, seed_everything
from personacap.text import train_tokenizer
from personacap.clipcap import build_clipcap
from personacap.captioning import generate_captions


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1000, help="number of captions")
    ap.add_argument("--batch-size", type=int, default=1000, help="images per generate call in the batched run")
    ap.add_argument("--tokens", type=int, default=12, help="tokens per caption")
    ap.add_argument("--num-beams", type=int, default=1)
    ap.add_argument("--mapper", default="mlp", choices=["mlp", "transformer"])
    a = ap.parse_args(argv)
    hf_logging.set_verbosity_error()

    seed_everything(0)
    words = [f"{c} {s}" for c in ("red", "green", "blue", "yellow") for s in ("circle", "square", "triangle")]
    tok = train_tokenizer(["a small large on the left right " + " ".join(words)])
    model = build_clipcap("tiny", tok, mapper=a.mapper).eval()
    feats = torch.randn(a.n, model.config.clip_dim)
    kw = dict(max_new_tokens=a.tokens, min_new_tokens=a.tokens, num_beams=a.num_beams)

    generate_captions(model, feats[:8], tok, **kw)                       # warm-up
    t0 = time.perf_counter()
    batched = generate_captions(model, feats, tok, batch_size=a.batch_size, **kw)
    t_batched = time.perf_counter() - t0

    t0 = time.perf_counter()
    single = [generate_captions(model, feats[i:i + 1], tok, **kw)[0] for i in range(a.n)]
    t_single = time.perf_counter() - t0

    same = sum(b == s for b, s in zip(batched, single))
    print(f"tiny ClipCap ({a.mapper} mapper, GPT-2 {model.config.gpt2_config['n_layer']} layers x "
          f"{model.config.gpt2_config['n_embd']}), {a.n} captions x {a.tokens} tokens, num_beams={a.num_beams}")
    print(f"machine: {platform.machine()}, torch threads: {torch.get_num_threads()}")
    print(f"batched (batch_size={a.batch_size}): {t_batched:8.2f} s  ({1000 * t_batched / a.n:6.2f} ms/caption)")
    print(f"one image at a time:     {t_single:8.2f} s  ({1000 * t_single / a.n:6.2f} ms/caption)")
    print(f"speed-up: {t_single / t_batched:.1f}x   identical captions: {same}/{a.n}")
    assert same == a.n, f"batched and one-at-a-time generation disagree on {a.n - same} captions"
    return t_single / t_batched


if __name__ == "__main__":
    main()
