"""Data-parallel training: two CPU processes (torchrun, or ``train.processes 2``) train the
tiny model on shares of the same batches; only rank 0 writes."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from datasets import Dataset
from safetensors.torch import load_file

from models.errors import SlantError
from tests.conftest import same_weights, tiny_overrides
from training.config import load_config
from training.loop import epoch_batches
from training.train import train


def test_each_rank_takes_half_of_every_batch_of_one_process():
    ds = Dataset.from_dict({"x": list(range(203))})
    lengths = [(i * 37) % 61 for i in range(203)]
    single = epoch_batches(ds, 16, seed=5, epoch=1, lengths=lengths)
    ranks = [epoch_batches(ds, 16, seed=5, epoch=1, rank=r, world=2, lengths=lengths) for r in (0, 1)]
    assert len(ranks[0]) == len(ranks[1]) == len(single)  # 203 = 12 x 16 + 11: no batch is lost
    for whole, a, b in zip(single, *ranks):
        assert sorted(a + b) == sorted(whole) and not set(a) & set(b)
        assert abs(len(a) - len(b)) <= 1
        assert abs(sum(lengths[i] for i in a) - sum(lengths[i] for i in b)) <= max(lengths)  # alike in length


def test_train_processes_spawns_workers_that_train_one_model(tmp_path, synthetic_jsonl):
    flags = tiny_overrides(synthetic_jsonl, **{"train.max_steps": 8, "train.eval_every": 4, "train.processes": 2})
    best = train(load_config(None, flags), tmp_path / "run")
    meta = json.loads((best / "meta.json").read_text())
    assert meta["train"]["processes"] == 2 and meta["train"]["steps"] == 8
    steps = [json.loads(line)["step"] for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert steps == sorted(set(steps)) and steps[-1] == 8  # one line per evaluation, not one per process
    rng = load_file(str(tmp_path / "run" / "last" / "trainer_state.safetensors"))
    assert "rng" in rng and "rng.1" in rng and not (rng["rng"] == rng["rng.1"]).all()  # each rank its own masks
    again = train(load_config(None, flags), tmp_path / "again")
    assert same_weights(best, again)  # deterministic, as one process is


def test_a_worker_error_reaches_the_caller_as_one_line(tmp_path):
    flags = tiny_overrides(tmp_path / "missing.jsonl", **{"train.processes": 2})
    with pytest.raises(SlantError, match="missing.jsonl"):
        train(load_config(None, flags), tmp_path / "run")


def test_torchrun_two_processes_trains_and_only_rank0_writes(tmp_path, synthetic_jsonl):
    cfg = tmp_path / "tiny.yaml"
    cfg.write_text("model:\n  base: tiny-random-bert\n")
    flags = [f"--{o}" for o in tiny_overrides(synthetic_jsonl, **{"train.epochs": 2, "train.batch_size": 4})]
    out = tmp_path / "run"
    proc = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port", "29533",
         "-m", "inference.cli", "train", str(cfg), "--out", str(out), *flags],
        capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.count("model saved to") == 1  # rank 1 writes nothing
    lines = (out / "metrics.jsonl").read_text().splitlines()
    assert len(lines) == 2  # one line per epoch, not one per process
    meta = json.loads((out / "best" / "meta.json").read_text())
    assert meta["train"]["processes"] == 2
    n_train = next(d["n_train"] for d in meta["data"] if d["source"] == "all")
    batches = -(-n_train // 4)
    shared = n_train // 4 + (n_train % 4 >= 2)  # a last batch of one row cannot be shared by two
    assert meta["train"]["steps"] == 2 * shared  # each process takes half of every batch

    single = train(load_config(cfg, [f[2:] for f in flags]), tmp_path / "single")
    single_meta = json.loads((single / "meta.json").read_text())
    assert single_meta["train"]["steps"] == 2 * batches
    assert abs(single_meta["metrics"]["dev"]["macro_f1"] - meta["metrics"]["dev"]["macro_f1"]) <= 0.2


def test_processes_must_be_between_one_and_the_batch_size():
    with pytest.raises(SlantError, match="train.processes must be >= 1"):
        load_config(None, ["train.processes=0"])
    with pytest.raises(SlantError, match="must not exceed train.batch_size"):
        load_config(None, ["train.processes=4", "train.batch_size=2"])


def _average_in_two_processes(rank: int, port: int, grads: list, out: str) -> None:
    import os

    import torch
    import torch.distributed as dist

    from training.distributed import average_gradients

    os.environ.update({"MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port)})
    dist.init_process_group("gloo", rank=rank, world_size=2)
    params = [torch.nn.Parameter(torch.zeros(3)) for _ in grads[rank]]
    for p, g in zip(params, grads[rank]):
        p.grad = None if g is None else torch.tensor(g)
    stop, loss = average_gradients(params, 2, stop=rank == 1, loss=float(rank))  # rank 1 got Ctrl-C
    Path(f"{out}.{rank}").write_text(json.dumps({"grads": [None if p.grad is None else p.grad.tolist() for p in params],
                                                 "stop": stop, "loss": loss}))
    dist.destroy_process_group()


def test_gradients_are_averaged_and_a_gradient_no_rank_has_stays_none(tmp_path):
    import multiprocessing

    from training.launch import _free_port

    grads = [[[1.0, 2.0, 3.0], None, None], [[3.0, 2.0, 1.0], [4.0, 4.0, 4.0], None]]
    ctx, port, out = multiprocessing.get_context("spawn"), _free_port(), str(tmp_path / "g.json")
    procs = [ctx.Process(target=_average_in_two_processes, args=(r, port, grads, out)) for r in (0, 1)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0, 0]
    for rank in (0, 1):
        assert json.loads(Path(f"{out}.{rank}").read_text()) == {"grads": [[2.0, 2.0, 2.0], [2.0, 2.0, 2.0], None],
                                                                 "stop": True,  # both learn that one rank asked
                                                                 "loss": 0.5}  # and the ranks' mean loss (0 and 1)


def _train_with_ctrl_c_on_rank_1(cfg, out, resume):
    """A training process whose rank 1 alone gets SIGINT in the middle of its fifth step."""
    import os

    from tests.conftest import batch_loss_with_ctrl_c_at
    from training import loop
    from training.train import train_process

    if os.environ["RANK"] == "1":
        loop.batch_loss = batch_loss_with_ctrl_c_at(5)
    return train_process(cfg, out, resume)


def test_ctrl_c_on_one_process_stops_both_after_one_step_and_resume_reaches_the_same_weights(tmp_path, synthetic_jsonl):
    from training.launch import spawn_training

    cfg = load_config(None, tiny_overrides(synthetic_jsonl, **{"train.max_steps": 10, "train.eval_every": 4,
                                                               "train.processes": 2, "train.fast_dropout": True}))
    straight = train(cfg, tmp_path / "straight")
    with pytest.raises(SlantError, match="interrupted at step 5; checkpoint saved"):
        spawn_training("tests.test_ddp:_train_with_ctrl_c_on_rank_1", (cfg, tmp_path / "bumpy", False), 2, 1)
    last = tmp_path / "bumpy" / "last"
    assert json.loads((last / "trainer_state.json").read_text())["step"] == 5
    assert {"rng", "rng.1"} <= set(load_file(str(last / "trainer_state.safetensors")))  # both ranks' masks go on
    resumed = train(load_config(tmp_path / "bumpy" / "config.yaml"), tmp_path / "bumpy", resume=True)
    assert same_weights(straight, resumed)


def test_ranks_holding_uneven_parts_of_a_batch_compute_one_process_loss():
    """Sentence labels and word pieces fall unevenly between the ranks (rank 1 has a single
    sentence label and fewer tagged pieces): when each divides its summed task losses by the
    whole batch's counts over two, the mean of the two ranks' losses, whose gradients the
    all-reduce averages, is the whole batch's loss as one process computes it; by its own, not."""
    import torch

    from training.config import TrainConfig
    from training.features import IGNORE
    from training.loop import compute_loss, task_losses

    g = torch.Generator().manual_seed(0)
    n, length, tags = 6, 5, 7
    tokens = torch.randint(0, tags, (n, length), generator=g)
    tokens[1, 2:] = IGNORE
    tokens[3] = IGNORE
    tokens[5, 1:] = IGNORE
    batch = {"labels": torch.tensor([1, 0, -1, -1, 1, -1]), "token_labels": tokens,
             "opinion_labels": torch.full((n,), -1), "stance_labels": torch.full((n,), -1),
             "stance_soft": torch.full((n, 3), -1.0)}
    out = {"logits": torch.randn(n, 2, generator=g), "token_logits": torch.randn(n, length, tags, generator=g)}
    cfg = TrainConfig(token_loss_weight=2.0)
    whole = compute_loss(out, batch, cfg)
    parts = [{k: v[r::2] for k, v in d.items()} for r in (0, 1) for d in (batch, out)]
    ranks = list(zip(parts[0::2], parts[1::2]))
    counts = [task_losses(o, b, cfg)[1] for b, o in ranks]
    assert counts[0].tolist() != counts[1].tolist()
    total = counts[0] + counts[1]
    scaled = [compute_loss(o, b, cfg, lambda c: total / 2) for b, o in ranks]
    assert torch.allclose((scaled[0] + scaled[1]) / 2, whole, atol=1e-6)
    unscaled = [compute_loss(o, b, cfg) for b, o in ranks]
    assert not torch.allclose((unscaled[0] + unscaled[1]) / 2, whole, atol=1e-3)


def _wait_for_ctrl_c(folder):
    """A stand-in training process: says it started, then waits for SIGINT and says it got it."""
    import os
    import time

    rank = os.environ["RANK"]
    (folder / f"started.{rank}").write_text("")
    try:
        for _ in range(2400):  # up to two minutes: a loaded machine starts processes slowly
            time.sleep(0.05)
    except KeyboardInterrupt:
        (folder / f"stopped.{rank}").write_text("")
        raise


_LAUNCH_AND_SIGNAL = """
import os, signal, sys, threading, time
from pathlib import Path
from training.launch import spawn_training
folder, signum = Path(sys.argv[1]), getattr(signal, sys.argv[2])
# SIGINT to the launcher: as in a terminal; SIGTERM: as a scheduler's background job, SIGINT ignored from
# the start (its workers inherited that and trained on through every stop request)
signal.signal(signal.SIGINT, signal.default_int_handler if signum == signal.SIGINT else signal.SIG_IGN)

def signal_once_started():
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not all((folder / f"started.{r}").exists() for r in (0, 1)):
        time.sleep(0.05)
    time.sleep(0.5)
    os.kill(os.getpid(), signum)

threading.Thread(target=signal_once_started, daemon=True).start()
try:
    spawn_training("tests.test_ddp:_wait_for_ctrl_c", (folder,), 2, 1)
except KeyboardInterrupt:
    sys.exit(130)
sys.exit(0)
"""


@pytest.mark.parametrize("signum", ["SIGINT", "SIGTERM"])
def test_a_signal_to_the_launching_process_alone_reaches_every_training_process(tmp_path, signum):
    """A scheduler's SIGTERM, or a SIGINT sent to the launching process only (`kill -INT PID`), had left
    the training processes training on without it; now each gets one SIGINT, saves and stops. The
    launcher runs in a fresh interpreter, as `slant train` does, with no test run's signal state."""
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run([sys.executable, "-c", _LAUNCH_AND_SIGNAL, str(tmp_path), signum], cwd=root,
                          capture_output=True, text=True, timeout=300, env={**os.environ, "PYTHONPATH": str(root)})
    assert done.returncode == 130, done.stderr[-2000:]
    assert {p.name for p in tmp_path.iterdir() if p.name.startswith("stopped")} == {"stopped.0", "stopped.1"}
