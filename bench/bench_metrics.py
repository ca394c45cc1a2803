"""Time the caption metrics on 5,000 captions against 25,000 references (5 per image).

    python bench/bench_metrics.py [--images 5000] [--refs 5]

Prints one line per stage and the end-to-end `score()` time, cold (first METEOR call starts Java
and loads its paraphrase table) and warm. Not a test: the numbers depend on the machine.
"""
import argparse, platform, time, warnings

import numpy as np

import personacap.metrics as M


def timed(label, fn, rows):
    t0 = time.perf_counter(); out = fn(); dt = time.perf_counter() - t0
    rows.append((label, dt)); print(f"{label:<46} {dt:8.2f} s", flush=True)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--images", type=int, default=5000)
    ap.add_argument("--refs", type=int, default=5)
    a = ap.parse_args()
    from pycocoevalcap.bleu.bleu import Bleu
    from pycocoevalcap.rouge.rouge import Rouge
    from pycocoevalcap.cider.cider import Cider

    print(f"{a.images} captions, {a.images * a.refs} references; python {platform.python_version()}, "
          f"java {'yes' if M.java_available() else 'no'}")
    rows = []
    preds, refs = timed("make the toy caption set", lambda: M.toy_captions(a.images, a.refs, seed=0), rows)
    flat = list(preds.values()) + [c for v in refs.values() for c in v]
    timed("tokenize: pure Python ('simple')", lambda: [M.simple_tokenize(t) for t in flat], rows)
    if M.java_available(): timed("tokenize: Stanford PTB (Java)", lambda: M.ptb_tokenize(flat), rows)
    res, gts = M.tokenized_sets(preds, refs)
    timed("BLEU-1..4 (pycocoevalcap)", lambda: Bleu(4).compute_score(gts, res, verbose=0), rows)
    timed("ROUGE-L (pycocoevalcap)", lambda: Rouge().compute_score(gts, res), rows)
    timed("CIDEr-D (pycocoevalcap)", lambda: Cider().compute_score(gts, res), rows)
    timed("CIDEr-D (from scratch, NumPy)", lambda: M.cider_d_from_scratch(res, gts), rows)
    timed("BLEU (from scratch, Counter)", lambda: M.bleu_from_scratch(res, gts), rows)
    if M.java_available():
        ids = list(res)
        timed("METEOR, cold (starts Java, loads tables)", lambda: M.meteor_score([res[k][0] for k in ids], [gts[k] for k in ids]), rows)
        timed("METEOR, warm (process reused)", lambda: M.meteor_score([res[k][0] for k in ids], [gts[k] for k in ids]), rows)
        M._close_meteor(); M._METEOR = None
        s = timed("score(): all metrics, PTB, cold METEOR", lambda: M.score(preds, refs), rows)
        timed("score(): all metrics, PTB, warm METEOR", lambda: M.score(preds, refs), rows)
        print("   ", s.row())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s = timed("score(use_java=False): no METEOR, pure Python", lambda: M.score(preds, refs, use_java=False), rows)
        print("   ", s.row())
        timed("human_baseline(use_java=False), 5 rounds", lambda: M.human_baseline(refs, use_java=False), rows)


if __name__ == "__main__":
    main()
