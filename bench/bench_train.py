"""`core.fit` against a bare PyTorch loop: ClipCap and Merge-RNN in tiny, same model, data, optimizer, batch, steps.

Both loops train a freshly built model from the same seed on the same random inputs (CLIP-sized features for ClipCap,
pixels for Merge-RNN) and the same captions, through the same Dataset, collator and EpochSampler order, with AdamW (the
same weight-decay groups) and the same warm-up schedule. `fit` runs as a user calls it (progress bar on, no
validation); the bare loop is `for batch in loader: loss.backward(); opt.step(); sched.step(); opt.zero_grad()`.
Repeats alternate bare/fit so background load hits both alike; steps/s is the median over repeats of the loop time
(set-up excluded: `History.train_seconds` for fit, the same span for the bare loop). Both loops do the same arithmetic,
so their loss sequences must agree; the script checks that. A third, instrumented bare run splits one step into
data / forward+backward / optimizer.

    OMP_NUM_THREADS=1 python bench/bench_train.py [--steps 40] [--repeats 3] [--models clipcap,merge_rnn]
"""
import argparse, os, platform, statistics, sys, time
from collections import namedtuple

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("PERSONACAP_PRESET", "tiny")
import torch
from transformers import get_scheduler
from transformers.utils import logging as hf_logging

from personacap.core import TrainConfig, fit, get_preset, seed_everything, EpochSampler, _decay_groups

# the captioning names may live in personacap.captioning (the shared module) or in the method modules
try: from personacap.captioning import CaptionDataset as _Dataset, CaptionCollator as _Collator
except ImportError: from personacap.clipcap import FeatureCaptionDataset as _Dataset, FeatureCaptionCollator as _Collator
try: from personacap.clipcap import build_clipcap
except ImportError: from personacap.captioning import build_clipcap
try: from personacap.clipcap import clipcap_loss
except ImportError: from personacap.captioning import caption_loss as clipcap_loss
from personacap.merge_rnn import build_merge_rnn
try: from personacap.merge_rnn import merge_rnn_loss
except ImportError: from personacap.captioning import caption_loss as merge_rnn_loss
try: from personacap.core import tiny_word_tokenizer as _word_tokenizer
except ImportError:
    from personacap.text import train_tokenizer
    def _word_tokenizer(texts): return train_tokenizer(texts, kind="word")

Rec = namedtuple("Rec", "image_id captions")
COLORS, SHAPES = ("red", "green", "blue", "yellow", "purple"), ("circle", "square", "triangle", "star")
SIZES, PLACES = ("small", "large", "tiny"), ("on the left", "on the right", "in the middle", "at the top")


def world(n_images:int, seed:int=0):
    "Random records with 5 captions each, and a word tokenizer trained on them."
    g = torch.Generator().manual_seed(seed); pick = lambda xs: xs[int(torch.randint(len(xs), (1,), generator=g))]
    recs = [Rec(str(i), [f"a {pick(SIZES)} {pick(COLORS)} {pick(SHAPES)} {pick(PLACES)}"
                         + (f" next to a {pick(COLORS)} {pick(SHAPES)}" if k % 2 else "") for k in range(5)])
            for i in range(n_images)]
    return recs, _word_tokenizer([c for r in recs for c in r.captions])


def setup(name:str, preset, recs, tok):
    "(build_model, loss_fn, dataset, collator) for one method."
    g = torch.Generator().manual_seed(1)
    if name == "clipcap":
        dim = preset.clip_config.get("projection_dim", 128)
        inputs, key, build, loss = torch.randn(len(recs), dim, generator=g), "clip_features", \
            (lambda: build_clipcap(preset, tok, clip_dim=dim)), clipcap_loss
    else:
        inputs, key, build, loss = torch.rand(len(recs), 3, preset.image_size, preset.image_size, generator=g), \
            "pixel_values", (lambda: build_merge_rnn(preset, tok)), merge_rnn_loss
    return build, loss, _Dataset(recs, inputs), _Collator(tok, key)


def bare_loop(build, loss_fn, ds, coll, cfg:TrainConfig, split:bool=False):
    """The loop a user would write by hand.
    Returns (wall seconds in the loop, CPU seconds of the call after the model is built, losses, split times or None)."""
    seed_everything(cfg.seed)
    model = build(); model.train()
    c0 = time.process_time()
    seed_everything(cfg.seed)                       # as fit does after the model is built: same dropout masks
    named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    opt = torch.optim.AdamW(_decay_groups(named, cfg.weight_decay), lr=cfg.lr)
    sched = get_scheduler("constant_with_warmup", opt, num_warmup_steps=cfg.warmup_steps, num_training_steps=cfg.max_steps)
    sampler = EpochSampler(len(ds), seed=cfg.seed)
    dl = torch.utils.data.DataLoader(ds, batch_size=cfg.batch_size, sampler=sampler, collate_fn=coll,
                                     generator=torch.Generator().manual_seed(cfg.seed), drop_last=True)
    sync = torch.cuda.synchronize if torch.cuda.is_available() else (lambda: None)
    losses, parts, step, epoch = [], {"data": 0.0, "forward+backward": 0.0, "optimizer": 0.0}, 0, 0
    t0 = time.perf_counter()
    while step < cfg.max_steps:
        sampler.set_epoch(epoch); it = iter(dl)
        while step < cfg.max_steps:
            ta = time.perf_counter()
            try: batch = next(it)
            except StopIteration: break
            if split: sync()
            tb = time.perf_counter()
            out = loss_fn(model, batch)
            loss = out["loss"] if isinstance(out, dict) else out
            loss.backward()
            if split: sync()
            tc = time.perf_counter()
            opt.step(); sched.step(); opt.zero_grad(set_to_none=True)
            if split: sync()
            td = time.perf_counter()
            losses.append(loss.detach()); step += 1
            parts["data"] += tb - ta; parts["forward+backward"] += tc - tb; parts["optimizer"] += td - tc
        epoch += 1
    losses = [float(l) for l in losses]
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    return seconds, cpu, losses, (parts if split else None)


def with_fit(build, loss_fn, ds, coll, cfg:TrainConfig):
    "Returns (wall seconds in fit's loop, CPU seconds of the whole fit call, losses)."
    seed_everything(cfg.seed)
    model = build()
    c0 = time.process_time()
    h = fit(model, loss_fn, ds, cfg, collate_fn=coll)
    return h.train_seconds, time.process_time() - c0, h.loss


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=40, help="optimizer steps per run")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--images", type=int, default=400)
    ap.add_argument("--models", default="clipcap,merge_rnn")
    ap.add_argument("--no-progress", action="store_true", help="run fit without its progress bar")
    a = ap.parse_args(argv)
    hf_logging.set_verbosity_error()
    preset = get_preset("tiny")
    recs, tok = world(a.images)
    print(f"torch {torch.__version__}, {platform.processor() or platform.machine()}, "
          f"{torch.get_num_threads()} thread(s), device cpu; preset {preset.name}, batch {preset.batch_size}, "
          f"{a.steps} steps x {a.repeats} repeats, {len(recs)} images x 5 captions\n")
    rows, ok = [], True
    for name in a.models.split(","):
        build, loss_fn, ds, coll = setup(name, preset, recs, tok)
        cfg = TrainConfig(max_steps=a.steps, batch_size=preset.batch_size, lr=preset.lr, warmup_steps=5,
                          progress=not a.no_progress, load_best=False, desc=name)
        bare_loop(build, loss_fn, ds, coll, TrainConfig(max_steps=3, batch_size=preset.batch_size))    # warm-up
        w_bare, w_fit, c_bare, c_fit = [], [], [], []
        for _ in range(a.repeats):
            wb, cb, lb, _ = bare_loop(build, loss_fn, ds, coll, cfg)
            wf, cf, lf = with_fit(build, loss_fn, ds, coll, cfg)
            w_bare.append(wb); w_fit.append(wf); c_bare.append(cb); c_fit.append(cf)
        diff = max(abs(x - y) for x, y in zip(lb, lf))
        same = len(lb) == len(lf) and diff < 1e-4
        ok &= same
        _, _, _, parts = bare_loop(build, loss_fn, ds, coll, cfg, split=True)
        sps = lambda ts: a.steps / statistics.median(ts)
        rows.append((name, sps(w_bare), sps(w_fit), sps(c_bare), sps(c_fit), parts))
        print(f"{name}: wall steps/s bare {[round(a.steps / t, 2) for t in w_bare]}, fit {[round(a.steps / t, 2) for t in w_fit]}; "
              f"CPU steps/s bare {[round(a.steps / t, 2) for t in c_bare]}, fit {[round(a.steps / t, 2) for t in c_fit]}; "
              f"same losses: {same} (max |diff| {diff:.2e})")
    print("\nsteps/s by wall clock (the loop) and by process CPU time (the whole call, set-up included; steadier when\n"
          "other jobs share the machine). Split: one instrumented bare run, ms per step.\n")
    print("| method | bare steps/s (wall) | fit steps/s (wall) | fit / bare (wall) | bare steps/s (CPU) | fit steps/s (CPU) "
          "| fit / bare (CPU) | data / fwd+bwd / optimizer (ms) |")
    print("|---|---|---|---|---|---|---|---|")
    for name, wb, wf, cb, cf, parts in rows:
        ms = " / ".join(f"{1000 * v / a.steps:.1f}" for v in parts.values())
        print(f"| {name} | {wb:.2f} | {wf:.2f} | {wf / wb:.3f} | {cb:.2f} | {cf:.2f} | {cf / cb:.3f} | {ms} |")
    worst = min(min(wf / wb, cf / cb) for _, wb, wf, cb, cf, _ in rows)
    print(f"\nworst fit / bare ratio: {worst:.3f} (target >= 0.95); loss sequences identical within 1e-4: {ok}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
