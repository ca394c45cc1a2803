"""`core.fit` checkpoints, interrupts and validation: the failure modes of issue 10, each as a test that
failed on the loop before the fix. Toy regression only; the whole file runs in a few seconds on one CPU core."""
import json, os, shutil, warnings
from dataclasses import replace
from pathlib import Path

import pytest
import torch
from torch import nn

from personacap import core
from personacap.core import TrainConfig, fit, PersonacapError

g = torch.Generator().manual_seed(0)
X = torch.randn(512, 8, generator=g); W = torch.randn(8, 1, generator=g)
Y = X @ W + 0.05 * torch.randn(512, 1, generator=g)
TRAIN = torch.utils.data.TensorDataset(X[:384], Y[:384])
VAL = torch.utils.data.TensorDataset(X[384:], Y[384:])
BASE = TrainConfig(max_steps=30, batch_size=24, lr=0.02, warmup_steps=5, eval_every=10, progress=False)


def mse(model, batch):
    x, y = batch
    return nn.functional.mse_loss(model(x), y)


def make_drop():
    torch.manual_seed(1)
    return nn.Sequential(nn.Linear(8, 32), nn.Dropout(0.3), nn.Linear(32, 1))


def make_bn():
    torch.manual_seed(1)
    return nn.Sequential(nn.Linear(8, 16), nn.BatchNorm1d(16), nn.Dropout(0.2), nn.Linear(16, 1))


def counting(loss_fn, counter):
    def f(model, batch):
        counter[0] += model.training
        return loss_fn(model, batch)
    return f


def interrupting(loss_fn, at_call):
    "Ctrl-C on training call number `at_call` of `loss_fn`."
    calls = [0]
    def f(model, batch):
        calls[0] += model.training
        if model.training and calls[0] == at_call: raise KeyboardInterrupt
        return loss_fn(model, batch)
    return f


def same_weights(a, b):
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


def test_crash_between_the_two_renames_resumes_from_last_old(tmp_path, capsys):
    "A crash after `last -> .last.old` and before `.last.XXXX -> last` must not restart the run from step 0."
    whole = fit(make_drop(), mse, TRAIN, BASE, val_ds=VAL)
    fit(make_drop(), mse, TRAIN, replace(BASE, max_steps=20, out_dir=str(tmp_path), save_every=5), val_ds=VAL)
    # the state a power cut leaves between the swap's two renames: only .last.old, plus a half-written temp folder
    os.replace(tmp_path/"last", tmp_path/".last.old")
    (tmp_path/".last.abc123").mkdir(); (tmp_path/".last.abc123"/"model.safetensors").write_bytes(b"half")
    calls = [0]
    m = make_drop()
    res = fit(m, counting(mse, calls), TRAIN, replace(BASE, out_dir=str(tmp_path), save_every=5, resume=True), val_ds=VAL)
    assert calls[0] == 30 - 20, f"resume trained {calls[0]} micro-batches: it started over instead of resuming at step 20"
    out = capsys.readouterr().out
    assert "resuming from .last.old" in out, out
    assert res.loss == whole.loss
    # the next save put a complete `last` in place and removed `.last.old`
    assert (tmp_path/"last"/"trainer_state.json").exists() and not (tmp_path/".last.old").exists()
    assert json.loads((tmp_path/"last"/"trainer_state.json").read_text())["step"] == 30


def test_save_keeps_last_old_until_the_new_last_is_in_place(tmp_path, monkeypatch):
    "With only `.last.old` on disk, a save that crashes before its final rename must not delete `.last.old`."
    fit(make_drop(), mse, TRAIN, replace(BASE, max_steps=10, out_dir=str(tmp_path), save_every=5), val_ds=VAL)
    os.replace(tmp_path/"last", tmp_path/".last.old")
    real = os.replace
    def crash(src, dst):
        if Path(dst).name == "last": raise OSError("power cut")
        return real(src, dst)
    monkeypatch.setattr(core.os, "replace", crash)
    with pytest.raises(OSError, match="power cut"):
        fit(make_drop(), mse, TRAIN, replace(BASE, max_steps=15, out_dir=str(tmp_path), save_every=5, resume=True),
            val_ds=VAL)
    assert (tmp_path/".last.old"/"trainer_state.json").exists()


def test_interrupt_during_validation_resumes_exactly(tmp_path):
    "Ctrl-C inside eval_fn: the resumed run validates that step again, and the history equals an uninterrupted one."
    def scores(fail_on=None):
        seq, n = [5.0, 3.0, 4.0], [0]
        def ev(m):
            n[0] += 1
            if n[0] == fail_on: raise KeyboardInterrupt
            return {"fake": seq[n[0] - 1]}
        return ev
    cfg = replace(BASE, metric="fake", mode="min")
    m_whole = make_drop(); whole = fit(m_whole, mse, TRAIN, cfg, val_ds=VAL, eval_fn=scores())
    with pytest.raises(KeyboardInterrupt):
        fit(make_drop(), mse, TRAIN, replace(cfg, out_dir=str(tmp_path)), val_ds=VAL, eval_fn=scores(fail_on=2))
    st = json.loads((tmp_path/"last"/"trainer_state.json").read_text())
    assert (st["step"], st["pending_validation"], len(st["history"]["evals"])) == (20, True, 1)
    ev = scores(); ev(None)                         # the resumed eval_fn continues the sequence at its 2nd value
    m_res = make_drop()
    res = fit(m_res, mse, TRAIN, replace(cfg, out_dir=str(tmp_path), resume=True), val_ds=VAL, eval_fn=ev)
    assert res.evals == whole.evals and res.loss == whole.loss
    assert (res.best_step, res.best_value) == (whole.best_step, whole.best_value) == (20, 3.0)
    assert same_weights(m_res, m_whole)


def test_interrupt_mid_accumulation_restores_batchnorm_statistics(tmp_path):
    "The partial micro-batch's forward moved BatchNorm's running stats; resume must start from the boundary's."
    cfg = replace(BASE, batch_size=12, grad_accum=3, max_steps=20, load_best=False)
    m_whole = make_bn(); whole = fit(m_whole, mse, TRAIN, cfg, val_ds=VAL)
    with pytest.raises(KeyboardInterrupt):
        fit(make_bn(), interrupting(mse, 3 * 7 + 3), TRAIN, replace(cfg, out_dir=str(tmp_path)), val_ds=VAL)
    m_res = make_bn(); res = fit(m_res, mse, TRAIN, replace(cfg, out_dir=str(tmp_path), resume=True), val_ds=VAL)
    assert res.loss == whole.loss
    assert same_weights(m_res, m_whole)             # includes running_mean / running_var / num_batches_tracked


class TokenData(torch.utils.data.Dataset):
    "Items are (length,) rows of one value: the example's per-token loss, with `length` tokens."
    def __init__(self, rows): self.rows = rows
    def __len__(self): return len(self.rows)
    def __getitem__(self, i): return self.rows[i]


def pad(items):
    n = max(len(r) for r in items)
    vals = torch.zeros(len(items), n); mask = torch.zeros(len(items), n)
    for i, r in enumerate(items): vals[i, :len(r)] = r; mask[i, :len(r)] = 1
    return vals, mask


def test_val_loss_is_weighted_by_tokens():
    "`loss_fn` returning {'loss': token mean, 'n_tokens': n}: fit's val_loss is the mean over all tokens."
    rows = [torch.full((n,), float(v)) for n, v in [(1, 4.0), (1, 4.0), (6, 1.0), (6, 1.0), (2, 2.0)]]
    def token_loss(model, batch):
        vals, mask = batch
        per_tok = vals + 0 * model.weight.sum()             # touch the model so there is a graph
        return {"loss": (per_tok * mask).sum() / mask.sum(), "n_tokens": mask.sum()}
    model = nn.Linear(1, 1)
    h = fit(model, token_loss, TokenData(rows), TrainConfig(max_steps=1, batch_size=2, lr=0.0, progress=False),
            val_ds=TokenData(rows), collate_fn=pad)
    # val batches of 2: (4, 4) with 2 tokens, (1, 1) with 12 tokens, (2,) with 2 tokens
    by_hand = (4 * 2 + 1 * 12 + 2 * 2) / 16                 # 1.5, the mean over all 16 tokens
    by_example = (4 * 2 + 1 * 2 + 2 * 1) / 5                # 2.4, what weighting by examples gives
    assert abs(h.evals[-1]["val_loss"] - by_hand) < 1e-9, (h.evals[-1]["val_loss"], by_hand, by_example)


def test_patience_that_can_never_fire_is_reported():
    "eval_every = max_steps // 4 with patience 3: four validations, a stop could only come at the last step."
    cfg = TrainConfig(max_steps=12, batch_size=32, lr=0.05, eval_every=3, patience=3, progress=False)
    with pytest.warns(UserWarning, match="can never stop this run early"):
        fit(nn.Linear(8, 1), mse, TRAIN, cfg, val_ds=VAL)
    with warnings.catch_warnings():
        warnings.simplefilter("error")                  # a patience that can fire: no warning
        fit(nn.Linear(8, 1), mse, TRAIN, replace(cfg, eval_every=2), val_ds=VAL)


def test_non_finite_loss_names_its_step():
    def nan_after_3(model, batch, n=[0]):
        n[0] += 1
        loss = mse(model, batch)
        return loss * float("nan") if n[0] == 4 else loss
    with pytest.raises(PersonacapError, match="loss became nan at step 4"):
        fit(nn.Linear(8, 1), nan_after_3, TRAIN, TrainConfig(max_steps=6, batch_size=32, progress=False))
