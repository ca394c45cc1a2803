"""Can ONE soft token into chapter 40's frozen ClipCap change which nouns it names, and in what order? (issue 14, claim 2), tiny preset.

DEPER's adapter feeds the frozen captioner one soft token made from z_s. Claim 2 (DEPER's OSS above the text-only
ablation's) needs that token to carry the subject's viewing habit into the caption's nouns: in the world a subject names
the first `verbosity` objects in the order it looked at them. This script gives the same frozen captioner
strong tokens, and measures how far they move OSS against a control:

* oracle subject tokens: one soft token per seen subject, prompt-tuned on ALL of that subject's 480 training
  descriptions (the chapter's 5-shot prompt tuning sees 5), scored on the seen subjects' test rows with the subject's own
  token and with another subject's (the shuffled control);
* oracle policy tokens: one soft token per viewing policy, learned on the seen subjects' training rows grouped by their
  true policy (what a z_s that carried the policy exactly would say), scored on the UNSEEN subjects' test rows with
  their true policy's token and with another policy's.

If even these move OSS by no more than the chapter's intervals can see, claim 2 is unlikely to be reached through this
adapter on this captioner (they are strong tokens, not a proven ceiling).

    OMP_NUM_THREADS=1 PERSONACAP_PRESET=tiny python bench/deper_oracle_captioner.py --steps 600
    OMP_NUM_THREADS=1 PERSONACAP_PRESET=tiny python bench/deper_oracle_captioner.py --steps 2000 --lr 0.03 --part subject

Session 13 (2026-11-25), this 2-core CPU, one thread, seed 0, world-tiny-s0-v2, x100:

| seen subjects, 720 test rows | steps | B-4 | CIDEr-D | OSS | CLS |
|---|---|---|---|---|---|
| oracle subject token | 600 (lr 1e-2) | 8.8 | 52.6 | 32.0 | 48.3 |
| another subject's token | 600 | 6.4 | 37.2 | 30.0 | 32.2 |
| oracle subject token | 2000 (lr 3e-2) | 8.4 | 53.5 | 32.2 | 45.4 |
| another subject's token | 2000 | 7.7 | 46.7 | 30.4 | 33.2 |
| generic captioner | | 7.3 | 56.5 | 32.2 | 33.3 |

OSS, oracle - generic: -0.25 [-2.09, +1.52] (600), -0.05 [-1.69, +1.61] (2000); oracle - another subject's token:
+1.95 [-0.20, +4.01] (600), +1.77 [-0.05, +3.66] (2000). By policy (2000 steps, oracle - generic, no intervals):
favourite_colour +1.75, largest_first +2.06; centre_out +4.86, left_to_right +2.41, right_to_left -7.92,
top_to_bottom -0.32. (330 s and 948 s for the subject part.)

| unseen subjects, 480 test rows (600 steps) | B-4 | CIDEr-D | OSS | CLS |
|---|---|---|---|---|
| true policy's token | 5.7 | 29.4 | 31.7 | 51.5 |
| another policy's token | 4.1 | 32.5 | 33.6 | 39.4 |
| generic captioner | 7.0 | 52.6 | 35.1 | 50.0 |

OSS, true policy - generic: -3.34 [-5.58, -1.12]; true - another policy: -1.85 [-4.41, +0.49] (a policy token
also carries the average style of the seen subjects who share the policy, so it is a weaker oracle than the subject
token). Read: a token that knows the subject from 480 descriptions makes the captions the subject's in style (CLS) but
not in which nouns, in which order (OSS). It is not a ceiling: DEPER's own token (5-shot z_s) reaches seen CLS 53.8,
with OSS 32.2 too (chapter 40's seen table). the captioner's only view of the image, CLIP's pooled embedding, hardly holds where an object is
(chapter 04's `scene_attribute_report`, also run in chapter 40: place 0.15 against 0.08 for the majority), and four of the six policies are about place.
"""
import argparse, time

import numpy as np
import torch
from transformers.utils import logging as hf_logging

from personacap.core import fit, TrainConfig, seed_everything
from personacap.captioning import generate_captions
from personacap.metrics import paired_bootstrap
from personacap import world as W
from personacap.deper import (deper_setup, PromptCaptioner, PromptDataset, prompt_collate, prompt_loss, study_classifier,
                              caption_scores, oss_rows, METRIC_NAMES)


def train_tokens(clipcap, data, rows, token_of:dict, n_tokens:int, steps:int, batch:int, lr:float, seed:int=0) -> PromptCaptioner:
    "One soft token per class; `token_of` maps a data subject index to its token (`core.fit`, the chapter's prompt loss)."
    seed_everything(seed)
    m = PromptCaptioner(clipcap, n_tokens)
    cfg = TrainConfig(max_steps=steps, batch_size=batch, lr=lr, warmup_steps=0, schedule="constant", grad_clip=1.0, seed=seed,
                      progress=False, desc="oracle tokens")
    h = fit(m, prompt_loss, PromptDataset(data, rows, token_of), cfg, collate_fn=prompt_collate(data, token_of))
    print(f"  loss {h.loss[0]:.3f} -> {np.mean(h.loss[-20:]):.3f}", flush=True)
    return m.eval()


def captions_with(m, run, data, query, tokens:np.ndarray) -> list[str]:
    q_clip = data.clip[data.img[torch.as_tensor(query)]]
    return generate_captions(m, torch.cat([q_clip, torch.as_tensor(tokens, dtype=q_clip.dtype)[:, None]], 1), run.tokenizer)


def report(title, caps:dict, query, data, classifier, groups=None):
    print(f"\n| {title} | " + " | ".join(METRIC_NAMES) + " | OSS, nouns in best order |")
    print("|---|" + "---|" * (len(METRIC_NAMES) + 1))
    per = {}
    for k, c in caps.items():
        sc = caption_scores(c, query, data, classifier); per[k] = oss_rows(c, query, data)
        best = oss_rows(c, query, data, best_order=True).mean()
        print(f"| {k} | " + " | ".join(f"{100 * sc[m]:.1f}" for m in METRIC_NAMES) + f" | {100 * best:.1f} |")
    names = list(caps)
    for other in names[1:]:
        b = paired_bootstrap(per[names[0]], per[other])
        print(f"OSS {names[0]} - {other}: {100 * b['diff']:+.2f} [{100 * b['lo']:+.2f}, {100 * b['hi']:+.2f}]")
    if groups is not None:                   # the same difference by the query subject's viewing policy
        groups = np.asarray(groups)
        for g in sorted(set(groups)):
            k = groups == g
            print(f"  {g:17s} ({k.sum()} rows): " + ", ".join(
                f"OSS {names[0]} - {o} {100 * (per[names[0]][k] - per[o][k]).mean():+.2f}" for o in names[1:]))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=600)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=None, help="default: the preset's prompt_lr")
    ap.add_argument("--part", default="both", choices=("both", "subject", "policy"))
    a = ap.parse_args(argv)
    hf_logging.set_verbosity_error(); torch.set_num_threads(1); t0 = time.time()
    s, world, run, data = deper_setup("tiny")
    truth, seen, unseen = world.truth, list(world.seen_subjects), list(world.unseen_subjects)
    lr = a.lr or s["prompt_lr"]
    sidx = {x: data.subjects.index(x) for x in data.subjects}
    classifier = study_classifier(data, seen, unseen)
    train = data.rows("train", seen)

    pols = list(W.VIEW_POLICIES)
    pol_of = {x: pols.index(truth.subject(x).policy) for x in data.subjects}
    common = dict(run=run, data=data, train=train, classifier=classifier, truth=truth, a=a, lr=lr, t0=t0)
    if a.part != "policy":
        print(f"oracle subject tokens: {len(seen)} seen subjects, {len(train)} training rows, {a.steps} steps of {a.batch}", flush=True)
        oracle("seen", "oracle subject token", "another subject's token", {sidx[x]: i for i, x in enumerate(seen)}, len(seen),
               data.rows("test", seen), **common)
    if a.part != "subject":
        print(f"\noracle policy tokens: {len(pols)} policies; seen subjects' policies "
              f"{sorted({truth.subject(x).policy for x in seen})}, unseen {[truth.subject(x).policy for x in unseen]}", flush=True)
        oracle("unseen", "true policy's token", "another policy's token", {sidx[x]: pol_of[x] for x in data.subjects}, len(pols),
               data.rows("test", unseen), **common)


def oracle(who, name, control, token_of:dict, n_tokens:int, query, *, run, data, train, classifier, truth, a, lr, t0):
    """Tokens learned on the seen subjects' training rows (`token_of`: data subject index -> token), then the query rows
    captioned with their own token, with the next token (the control) and by the generic captioner."""
    m = train_tokens(run.model, data, train, token_of, n_tokens, a.steps, a.batch, lr)
    own = np.array([token_of[int(data.subject[i])] for i in query])
    q_clip = data.clip[data.img[torch.as_tensor(query)]]
    report(f"{who} subjects, test images ({len(query)} rows)",
           {name: captions_with(m, run, data, query, own), control: captions_with(m, run, data, query, (own + 1) % n_tokens),
            "generic captioner": run.caption(q_clip)}, query, data, classifier,
           [truth.subject(data.subjects[int(data.subject[i])]).policy for i in query])
    print(f"({time.time() - t0:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
