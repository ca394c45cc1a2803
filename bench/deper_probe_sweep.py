"""DEPER's viewing-policy probe under world and training variants (issue 14's claim 3), tiny preset.

Chapter 40 finds that a probe on the 5-shot subject embedding z_s names the viewing policy of SEEN subjects (functional
probe 0.57, chance 0.17) but not of UNSEEN ones (0.00): the nearest seen subject in z_s shares the unseen subject's
sentence template, not its policy. This script re-trains DEPER (and optionally the text-only ablation) on a variant and
prints what the chapter prints for the claim: the unseen table's row, the linear probes on z_s (and on the decoder's FiLM
view of it), the functional probe (decoded scanpaths named by the rule they match), seen and unseen, and the OSS
difference to text-only with its paired-bootstrap interval.

    OMP_NUM_THREADS=1 PERSONACAP_PRESET=tiny python bench/deper_probe_sweep.py \\
        --world '{"n_subjects": 36, "n_unseen_subjects": 8}' --settings '{"stage1_steps": 640, "traj_head": "pointer"}' \\
        [--variants DEPER,text-only]

`--world` overrides `world_config` (a different world: its own cache folder; more subjects also means more raters, so
it is not the book's world); `--settings` overrides `deper_settings` (a variant's own settings, `variant_settings`, win
over them: `--variants "split gaze embedding (ours)" --settings '{"seed": 1}'` re-runs the chapter's variant on
another seed). Models are cached as in the chapter.

The tables below were measured in sessions 5 and 6 on an earlier build of the world whose portraits were partly worded
differently (a stale world cache, found and fixed in session 8, see chapter 01's "Caching"); the frozen ClipCap those
runs adapted was trained on it, so the stage-2 numbers (probes after stage 2, gains, OSS) of a re-run will differ. All of
them were also measured with the previous tiny CLIP (chapter 04's checkpoint before session 12, which did not see shapes);
the frozen ClipCap is trained on that CLIP's features, so a re-run now differs again. With the current CLIP (session 12)
the chapter's own row reads: linear probe unseen 0.013, FiLM view unseen 0.013, functional 0.567 / 0.000, OSS DEPER -
text-only +0.33 [-1.81, +2.51] (chapter 40's outputs; with the previous CLIP on the corrected world: 0.000, 0.000,
0.567 / 0.000, -0.98 [-2.47, +0.46]).

Session 5 (2026-11-24), this 2-core CPU, one thread, seed 0; unseen probe accuracies (chance 0.167; the chapter's bar
for the claim is chance + 0.15 = 0.317):

| world | settings | linear probe unseen | FiLM view unseen | functional seen / unseen | OSS DEPER - text-only |
|---|---|---|---|---|---|
| the book's (12 seen + 4 unseen) | the chapter's (160 stage-1 steps) | 0.000 | 0.000 | 0.567 / 0.000 | +1.04 [-0.43, +2.61] |
| the book's | stage1_steps 480 | 0.000 | 0.000 | 0.583 / 0.050 | -1.20 [-2.64, +0.31] |
| the book's | stage1_steps 320, train_support 5 | 0.000 | 0.000 | 0.583 / 0.050 | - |
| 36 seen + 8 unseen | the chapter's | 0.225 | 0.287 | 0.194 / 0.125 | +0.61 [-0.88, +2.02] |
| 36 seen + 8 unseen | stage1_steps 640 | 0.131 | 0.150 | 0.322 / 0.250 | - |
| 36 seen + 8 unseen | stage1_steps 640, grid 8 | 0.094 | 0.119 | 0.294 / 0.200 | - |
| 36 seen + 8 unseen | stage1_steps 320, train_support 5 | 0.219 | 0.244 | 0.378 / 0.225 | - |

None reaches the bar. With more subjects the template no longer gives the policy away, but the decoder then names
nearly every subject "left_to_right": it never learns the object-dependent policies (largest first, favourite colour,
centre out) even for seen subjects, so z_s has little policy to carry.

Session 6 (2026-11-24), same machine and seeds, the pointer head (`traj_head: "pointer"`, ours; see
bench/deper_oracle_decoder.py for why):

| world | settings | linear probe unseen | FiLM view unseen | functional seen / unseen | OSS DEPER - text-only |
|---|---|---|---|---|---|
| the book's | traj_head pointer (160 stage-1 steps) | 0.000 | 0.000 | 0.367 / 0.000 | +1.37 [-0.17, +3.08] |
| the book's | traj_head pointer, stage1_steps 640 | 0.000 | 0.000 | 0.933 / 0.000 | - |
| 36 seen + 8 unseen | traj_head pointer, stage1_steps 640 | 0.200 | 0.194 | 0.450 / 0.275 | - |

With a long enough stage 1 the pointer head names 11 of the 12 seen subjects' habits on new images (size, colour and
centre rules included; the regression head: 7 of 12, sweeps only), so the decoder is no longer what is missing for
seen subjects. Unseen subjects' z_s still decode to one habit (top to bottom, all four): the encoder does not read a
new person's habit from five scanpaths.

Session 8 (2026-11-24), the corrected world, the split gaze embedding (scratch code then; now chapter 40's variant
"split gaze embedding (ours)", the same settings: pointer head, gaze_split, t_reads_text False, film_init 0.05,
train_support 5, freeze_gaze), by stage-1 length and seed; functional probe seen / unseen, and unseen with the supports'
scanpaths replaced by one central fixation:

| stage-1 steps | seed | linear probe unseen (full z_s) | functional seen / unseen | unseen without scanpaths | gain vs generic |
|---|---|---|---|---|---|
| 1000 | 0 / 1 / 2 | - | 0.533 / 0.350, 0.400 / 0.250, 0.267 / 0.050 | - | +14.1%, +51.4%, +35.0% |
| 2000 | 0 | 0.000 | 0.617 / 0.400 | 0.250 | +28.7% |
| 2000 | 1 | 0.013 | 0.600 / 0.350 | 0.250 | +52.6% |
| 2000 | 2 | 0.013 | 0.650 / 0.350 | 0.250 | +19.3% |

Session 9 (2026-11-24), the library's variant, halving the stage-1 batch to cut its cost (`--settings
'{"stage1_batch": 32, "seed": S}'`, 2000 steps, about 510 s of training instead of 973 s): seed 0 functional 0.233 /
0.000, gain +34.1%; seed 1 0.200 / 0.000, +69.0% (linear probe on full z_s unseen 0.000 both). Every subject decodes to
top to bottom: with batch 32 the gaze half does not learn the habit. Do not shorten the schedule this way.
Fewer steps instead (`--settings '{"ours_stage1_steps": 1500, "seed": S}'`, batch 64, about 670 s of training with two
runs sharing the cores): seed 0 functional 0.550 / 0.350, gain +35.9%; seed 1 0.467 / 0.400, +50.8% (unseen named:
s12 and s14 right, s13 -> favourite colour, s15 -> left to right, both seeds); seed 2 0.517 / 0.350, +30.5% (s13 ->
top to bottom; about 690 s alone). Meets the bar on all three seeds, with less margin on seen subjects than 2000 steps.
Session 10: the chapter now runs 1500 (`ours_stage1_steps` in DEPER_TINY; chapter 40 re-run cold, seed 0).

With 2000 steps (batch 64) the bar (0.317) is met on all three seeds, through the two unseen subjects who sweep (s12 left to
right, s14 right to left); s13 (largest first) and s15 (centre out) are named wrongly on every seed. On a world of 36
seen + 8 unseen subjects (1000 steps, seed 0) the same variant did not learn the habit (0.172 / 0.125).
"""
import argparse, json, time

import torch
from transformers.utils import logging as hf_logging

from personacap.captioning import generate_captions
from personacap.metrics import paired_bootstrap
from personacap.deper import (deper_setup, train_deper, study_classifier, support_sets, few_shot_embedding,
                              caption_scores, relative_gain, oss_rows, policy_probe, film_view, probe_images,
                              scanpath_policy_probe, variant_settings, VARIANTS, METRIC_NAMES)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--world", default="{}", help="JSON overrides of the world configuration")
    ap.add_argument("--settings", default="{}", help="JSON overrides of deper_settings")
    ap.add_argument("--variants", default="DEPER", help=f"comma-separated, of {list(VARIANTS)}")
    a = ap.parse_args(argv)
    hf_logging.set_verbosity_error(); torch.set_num_threads(1)
    t0 = time.time()
    s, world, run, data = deper_setup("tiny", world_overrides=json.loads(a.world), **json.loads(a.settings))
    seen, unseen, truth = world.seen_subjects, world.unseen_subjects, world.truth
    print(world)
    runs = {}
    for v in a.variants.split(","):
        t = time.time(); runs[v] = train_deper(data, data.rows("train", seen), len(seen), run.model, s, v)[0]
        print(f"{v}: trained or loaded in {time.time() - t:.0f} s")
    clf = study_classifier(data, seen, unseen)
    support = support_sets(data, unseen, s["k_shot"], "val", s["seed"])
    query = data.rows("test", unseen); q_clip = data.clip[data.img[torch.as_tensor(query)]]
    q_subject = [data.subjects[int(data.subject[i])] for i in query]
    caps = {"generic captioner": run.caption(q_clip)}
    for v, m in runs.items():
        Z = {x: few_shot_embedding(m.encoder, data, r) for x, r in support.items()}
        caps[v] = generate_captions(m.captioner, torch.cat([q_clip, torch.stack([Z[x] for x in q_subject])], 1), run.tokenizer)
    rows = {k: caption_scores(c, query, data, clf) for k, c in caps.items()}
    print(f"\n| unseen, 5-shot, {len(query)} test rows | " + " | ".join(METRIC_NAMES) + " | gain vs generic |\n|---|---|---|---|---|---|")
    for k, r in rows.items():
        print(f"| {k} | " + " | ".join(f"{100 * r[m]:.1f}" for m in METRIC_NAMES) + f" | {100 * relative_gain(r, rows['generic captioner']):+.1f}% |")
    if {"DEPER", "text-only"} <= set(runs):
        b = paired_bootstrap(oss_rows(caps["DEPER"], query, data), oss_rows(caps["text-only"], query, data))
        print(f"OSS x100, DEPER - text-only: {100 * b['diff']:+.2f} [{100 * b['lo']:+.2f}, {100 * b['hi']:+.2f}]")
    p_rows = probe_images(data, truth, "test", s["probe_images"])
    for v, m in runs.items():
        lin = policy_probe(m.encoder, data, truth, seen, unseen, s["k_shot"], s["probe_draws"])
        print(f"{v}: linear probe on z_s, seen (leave one subject out) {lin['seen (leave one subject out)']:.3f}, unseen {lin['unseen']:.3f}")
        if not VARIANTS[v]["traj_loss"]: continue
        fv = policy_probe(m.encoder, data, truth, seen, unseen, s["k_shot"], s["probe_draws"], view=film_view)
        print(f"{v}: linear probe on the FiLM view, seen {fv['seen (leave one subject out)']:.3f}, unseen {fv['unseen']:.3f}")
        for name, who, split in (("seen", seen, "train"), ("unseen", unseen, "val")):
            f = scanpath_policy_probe(m.encoder, data, truth, who, split, p_rows, s["k_shot"], s["scan_draws"])
            print(f"{v}: functional probe, {name} {f['accuracy']:.3f}; policy -> named: " +
                  ", ".join(f"{x} {truth.subject(x).policy}->{n}" for x, n in f["named"].items()))
    print(f"chance {1 / 6:.3f}; {time.time() - t0:.0f} s in all")


if __name__ == "__main__":
    main()
