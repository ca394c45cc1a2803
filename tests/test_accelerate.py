"""`core.fit` under `accelerate launch` with 2 CPU processes: every process takes the same decisions (best step,
early stop), ends with the same weights, and matches a one-process run with the same global batch (issue 11).
The toy regression keeps it to a few seconds of training; most of the time is processes importing torch.

On the launch command: in accelerate 1.x, `accelerate launch --cpu --num_processes 2` starts several processes
only through `mpirun` (it needs an MPI installation and a hostfile); without one it silently runs ONE process.
On one machine the portable way is the torchrun launcher with the CPU flag in the environment:
`ACCELERATE_USE_CPU=true accelerate launch --multi_gpu --num_processes 2 script.py` (gloo backend).
The test checks that two processes really ran (two result files, WORLD_SIZE 2)."""
import json, os, socket, subprocess, sys, textwrap
from pathlib import Path

import pytest
import torch
from torch import nn

from personacap.core import TrainConfig, fit

SCRIPT = textwrap.dedent('''
    import json, os, sys
    import torch
    from torch import nn
    from accelerate import PartialState
    from personacap.core import TrainConfig, fit

    def main(out, per_process_batch):
        rank = int(os.environ.get("RANK", 0))       # PartialState() here would fix the state before fit's Accelerator
        g = torch.Generator().manual_seed(0)
        X = torch.randn(512, 8, generator=g); W = torch.randn(8, 1, generator=g)
        Y = X @ W + 0.05 * torch.randn(512, 1, generator=g)
        train = torch.utils.data.TensorDataset(X[:384], Y[:384]); val = torch.utils.data.TensorDataset(X[384:], Y[384:])

        def mse(model, batch):
            x, y = batch
            return nn.functional.mse_loss(model(x), y)

        SCORES, calls = [5.0, 3.0, 4.0, 6.0, 7.0, 8.0, 9.0, 9.5, 9.7, 9.8, 9.9, 10.0], [0]
        def eval_fn(model):
            calls[0] += 1
            v = SCORES[calls[0] - 1]
            # the other processes disagree (their best would be the first validation): the main process must win
            return {"score": v if rank == 0 else -v}

        torch.manual_seed(1); model = nn.Linear(8, 1)
        cfg = TrainConfig(max_steps=60, batch_size=per_process_batch, lr=0.05, warmup_steps=3, eval_every=5,
                          metric="score", mode="min", patience=2, progress=False)
        h = fit(model, mse, train, cfg, val_ds=val, eval_fn=eval_fn)
        assert PartialState().num_processes == int(os.environ.get("WORLD_SIZE", 1))
        json.dump({"best_step": h.best_step, "stopped_early": h.stopped_early, "steps": len(h.loss), "evals": h.evals,
                   "weight": model.weight.detach().flatten().tolist(), "bias": model.bias.detach().tolist()},
                  open(f"{out}/rank{rank}.json", "w"))

    if __name__ == "__main__":
        main(sys.argv[1], int(sys.argv[2]))
        # end the gloo group before exit: without it a process can abort in teardown ("terminate called without an
        # active exception", SIGABRT) after its work is done, and the launcher reports the whole run as failed
        PartialState().wait_for_everyone(); PartialState().destroy_process_group()
''')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0)); return s.getsockname()[1]


def launch_two(tmp_path, out) -> subprocess.Popen:
    "Start the script in 2 CPU processes (2 x 24 = global batch 48)."
    script = tmp_path/"train_toy.py"; script.write_text(SCRIPT)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONWARNINGS": "ignore", "HF_HUB_OFFLINE": "1",
           "ACCELERATE_USE_CPU": "true", "ACCELERATE_CONFIG_FILE": str(tmp_path/"no_config.yaml")}  # not a user's config
    cmd = [sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", "2",
           "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no",
           "--main_process_port", str(free_port()), str(script), str(out), "24"]
    return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_two_processes_take_the_same_decisions_as_one(tmp_path):
    two, one = tmp_path/"two", tmp_path/"one"; two.mkdir(); one.mkdir()
    proc = launch_two(tmp_path, two)
    try:
        ns = {"__name__": "train_toy"}; exec(SCRIPT, ns)
        ns["main"](str(one), 48)                                     # meanwhile: 1 process x 48, in this process
        stdout, stderr = proc.communicate(timeout=240)
    finally:
        if proc.poll() is None: proc.kill()
    assert proc.returncode == 0, f"accelerate launch failed\nstdout:\n{stdout[-3000:]}\nstderr:\n{stderr[-5000:]}"
    r0, r1 = (json.loads((two/f"rank{i}.json").read_text()) for i in (0, 1))
    ref = json.loads((one/"rank0.json").read_text())
    # both processes: the main process's scores (best at the 2nd validation, stop two validations later)
    for r in (r0, r1):
        assert (r["best_step"], r["stopped_early"], r["steps"]) == (10, True, 20), r
        assert [e["score"] for e in r["evals"]] == [5.0, 3.0, 4.0, 6.0]
    # the gathered validation loss is the same number in both processes, and the weights are identical
    assert [e["val_loss"] for e in r0["evals"]] == [e["val_loss"] for e in r1["evals"]]
    assert r0["weight"] == r1["weight"] and r0["bias"] == r1["bias"]
    # and all of it equals the one-process run with the same global batch
    assert (ref["best_step"], ref["stopped_early"], ref["steps"]) == (r0["best_step"], r0["stopped_early"], r0["steps"])
    torch.testing.assert_close(torch.tensor([e["val_loss"] for e in r0["evals"]]),
                               torch.tensor([e["val_loss"] for e in ref["evals"]]), atol=1e-5, rtol=0)
    torch.testing.assert_close(torch.tensor(r0["weight"] + r0["bias"]), torch.tensor(ref["weight"] + ref["bias"]),
                               atol=1e-5, rtol=0)
