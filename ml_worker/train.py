"""Training loop: centroid U-Net, then instance U-Net, under one time budget.

``cfg.model_kind == "bottom_up"`` hands the same labels to
:func:`ml_worker.bottomup.fit` instead and saves its model as the same kind of
artifact. Top-down with several animals per frame (``max_instances`` > 1, from
the config or the labels) trains the centroid net with a focal loss on
per-bin sigmoids and the instance net on (frame, animal) crops; with one
animal everything below is unchanged.

Flow of :func:`train`:

1. seed everything, pick the device (CUDA + mixed precision when present,
   else CPU with a sensible thread count), hold every training frame in
   memory as one uint8 tensor;
2. :func:`ml_worker.pipeline.plan_geometry` sizes crops, scales and U-Nets
   from the training labels;
3. fit the centroid net (downscaled whole frames), then the instance net
   (crops around the labeled anchor, jittered like the centroid's error),
   each with AdamW and a warmup + cosine schedule. A stage's schedule runs on
   *progress*, the larger of steps/max_steps and seconds/stage budget, so a
   wall-clock budget still gets a full decay. Validation loss (no
   augmentation) is checked about once per epoch; the best weights are kept
   and written to ``out_dir/checkpoint.pt`` atomically; early stopping arms in
   the second half of a stage;
4. predict the held-out frames with the full pipeline (predicted anchors),
   compute metrics (:func:`held_out_metrics`: OKS mAP and matched RMSE with
   several animals), and save a :class:`ModelArtifact` into ``out_dir``.

When the labels' track names are identities (``cfg.identity``, see
:mod:`ml_worker.identity`) the instance net also learns which animal it sees,
and the metrics add per-frame identity accuracy.

The split has up to three disjoint parts: ``train`` (fitted), ``val`` (early
stopping and the choice of checkpoint) and ``test`` (never seen while training;
only reported, as ``metrics["test"]``, so a figure someone quotes was not also
used to pick the model). ``metrics`` itself stays the validation metrics.

``should_stop()`` is polled every step, so cancellation takes effect within
one step (well under a second on CPU); a cancelled run saves no artifact.
"""

from __future__ import annotations

import copy
import math
import os
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
from torch import Tensor, nn

from ml_worker.artifacts import ModelArtifact, Predictions, atomic_torch_save, predict_instances
from ml_worker.config import TrainConfig
from ml_worker.dataset import PoseDataset
from ml_worker.heatmaps import init_peak_head
from ml_worker.identity import build_instance_net, identity_metrics, identity_names, track_labels
from ml_worker.metrics import compute_metrics
from ml_worker.model import build_model, load_matching_weights
from ml_worker.pipeline import Geometry, plan_geometry
from ml_worker.stages import FrameBank, StageData, centroid_stage, instance_stage

ProgressFn = Callable[[dict[str, Any]], None]
StopFn = Callable[[], bool]
# A library call without a wall-clock budget still needs one for the bottom-up fit.
LIMITS_BOTTOM_UP_BUDGET_S = 600.0
Status = Literal["completed", "early_stopped", "time_budget", "cancelled"]


@dataclass
class TrainResult:
    """What :func:`train` produced.

    Attributes:
        status: ``"completed"`` (all steps), ``"early_stopped"``,
            ``"time_budget"`` or ``"cancelled"`` (no artifact then).
        artifact: the trained model (also saved in ``out_dir``), None if cancelled.
        out_dir: where the artifact and checkpoint are.
        metrics: validation metrics (empty without validation frames), with the
            test frames' metrics under ``"test"`` when the split has a test set.
        steps: optimizer steps over both stages.
        seconds: wall-clock duration of :func:`train`.
        history: one entry per validation: stage, step, train_loss, val_loss, seconds.
    """

    status: Status
    artifact: ModelArtifact | None
    out_dir: Path
    metrics: dict[str, Any] = field(default_factory=dict)
    steps: int = 0
    seconds: float = 0.0
    history: list[dict[str, Any]] = field(default_factory=list)


class _Cancelled(Exception):
    pass


def resolve_device(name: str) -> torch.device:
    """``"auto"`` -> CUDA when available, else CPU."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ValueError("device: 'cuda' requested but CUDA is not available")
    return torch.device(name)


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def lr_factor(progress: float, schedule: str, warmup: float) -> float:
    """Learning-rate multiplier at ``progress`` in [0, 1].

    ``onecycle``: linear warmup over ``warmup`` then cosine decay to 1 %;
    ``cosine``: cosine decay from the start; ``constant``: 1.
    """
    p = min(max(progress, 0.0), 1.0)
    if schedule == "constant":
        return 1.0
    if schedule == "onecycle" and warmup > 0:
        if p < warmup:
            return 0.05 + 0.95 * p / warmup
        p = (p - warmup) / (1 - warmup)
    return 0.01 + 0.99 * 0.5 * (1 + math.cos(math.pi * p))


def _load_init(nets: dict[str, nn.Module], path: str | Path) -> None:
    """Warm start from a parent ``weights.pt`` ({stage: state}) or one U-Net state_dict."""
    state = torch.load(Path(path), map_location="cpu", weights_only=True)
    if isinstance(state, dict) and set(state) & set(nets):
        for name, net in nets.items():
            if name in state:
                load_matching_weights(net, state[name])
    else:
        load_matching_weights(nets["instance"], state)


@dataclass
class _Run:
    """State shared by both stages of one :func:`train` call."""

    cfg: TrainConfig
    device: torch.device
    out_dir: Path
    nets: dict[str, nn.Module]
    t0: float
    deadline: float | None
    on_progress: ProgressFn | None
    should_stop: StopFn | None
    n_train: int
    history: list[dict[str, Any]] = field(default_factory=list)
    steps_done: int = 0
    last_report: float = 0.0
    last_checkpoint: float = 0.0


def train(
    cfg: TrainConfig,
    dataset: PoseDataset,
    split: dict[str, list[str]],
    out_dir: str | Path,
    on_progress: ProgressFn | None = None,
    should_stop: StopFn | None = None,
    init_weights: str | Path | None = None,
) -> TrainResult:
    """Train a top-down pose model and save it as an artifact in ``out_dir``.

    Args:
        cfg: training config.
        dataset: labeled frames (all of them; ``split`` picks).
        split: ``{"train": keys, "val": keys, "test": keys}`` (see
            :func:`ml_worker.dataset.make_split`; ``test`` optional). Test frames
            are only predicted once training is over.
        out_dir: output directory (artifact files + ``checkpoint.pt``).
        on_progress: called (at most ~1/s and after each validation) with
            ``{"stage", "epoch", "step", "total_steps", "fraction",
            "train_loss", "val_loss", "eta_seconds", "elapsed_seconds"}``.
        should_stop: polled every step; True cancels the run.
        init_weights: a parent model's ``weights.pt`` to warm-start from.

    Returns:
        The result (artifact, metrics, status, history).
    """
    t0 = time.monotonic()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if not split.get("train"):
        raise ValueError("split: no training frames")
    check_split(split)
    device = resolve_device(cfg.device)
    # An operator's OMP_NUM_THREADS (several workers or benchmarks sharing a machine) wins
    # over "every core", which would oversubscribe it.
    env_threads = os.environ.get("OMP_NUM_THREADS", "")
    default_threads = int(env_threads) if env_threads.isdigit() and int(env_threads) > 0 else None
    torch.set_num_threads(cfg.num_threads or default_threads or max(1, os.cpu_count() or 1))
    seed_everything(cfg.seed)
    train_ds = dataset.subset(split["train"])
    val_ds = dataset.subset(split.get("val", []))
    # every labeled animal is trained on; cfg.max_instances can only ask for more slots
    # (counted on train + val: nothing about the test frames may shape the model)
    max_instances = max(cfg.max_instances or 1, train_ds.max_instances, val_ds.max_instances)
    if cfg.model_kind == "bottom_up":
        return _train_bottom_up(cfg, dataset, train_ds, val_ds, split, out, device, t0,
                                on_progress, should_stop, max_instances)
    identity = identity_names(train_ds, cfg.identity)  # test frames must not shape the model
    bank = FrameBank.from_dataset(train_ds, device, max_instances, identity)
    geometry = plan_geometry(cfg, train_ds.instance_keypoints(), bank.frame_hw, max_instances)
    nets: dict[str, nn.Module] = {
        "centroid": build_model(geometry.centroid),
        "instance": build_instance_net(geometry.instance, identity),
    }
    if geometry.multi_instance:
        init_peak_head(nets["centroid"].head)
    if cfg.pretrained_encoder:  # first: a parent model's own weights, loaded next, win
        from ml_worker.pretrain import load_encoder

        for net in nets.values():
            load_encoder(net, cfg.pretrained_encoder)
    for path in (cfg.pretrained_weights, init_weights):
        if path:
            _load_init(nets, path)
    for net in nets.values():
        net.to(device).to(memory_format=torch.channels_last)
    deadline = t0 + cfg.max_seconds if cfg.max_seconds else None
    run = _Run(cfg, device, out, nets, t0, deadline, on_progress, should_stop, len(train_ds))
    val_bank = (FrameBank.from_dataset(val_ds, device, max_instances, identity) if len(val_ds)
                else bank)
    statuses: list[Status] = []
    try:
        share = cfg.centroid_time_fraction
        for name, stage_fn, offset, weight in (
            ("centroid", centroid_stage, 0.0, share), ("instance", instance_stage, share, 1 - share)
        ):
            data = stage_fn(bank, val_bank, geometry, cfg, train_ds.symmetries)
            statuses.append(_fit(run, name, data, offset, weight))
    except _Cancelled:
        return TrainResult("cancelled", None, out, steps=run.steps_done,
                           seconds=time.monotonic() - t0, history=run.history)
    artifact = _finish(run, geometry, dataset, train_ds, val_ds, split, identity)
    status: Status = next((s for s in statuses if s != "completed"), "completed")
    return TrainResult(status, artifact, out, artifact.metrics, run.steps_done,
                       time.monotonic() - t0, run.history)


def train_payload(payload: Path, emit: ProgressFn, should_stop: StopFn) -> dict[str, Any]:
    """Train and export one platform job: the entry :mod:`ml_worker.guard` runs in a child.

    Args:
        payload: JSON the worker wrote: ``{"config": dict, "dataset": path of a
            dataset_save() .npz, "split", "out_dir", "init_weights", "zip_path"}``.
        emit: progress callback (``on_progress`` of :func:`train`).
        should_stop: the parent's cancel flag.

    Returns:
        JSON-ready ``{"status", "metrics", "steps", "seconds", "config", "zip_path"}``.

    Raises:
        Cancelled: the run was cancelled; nothing is exported.
    """
    import json

    from ml_worker.config import validate_job_config
    from ml_worker.dataset import dataset_load
    from ml_worker.export import write_download_zip
    from ml_worker.guard import Cancelled

    job = json.loads(Path(payload).read_text())
    cfg = validate_job_config(job["config"])
    result = train(cfg, dataset_load(job["dataset"]), job["split"], job["out_dir"], on_progress=emit,
                   should_stop=should_stop, init_weights=job["init_weights"])
    if result.status == "cancelled" or result.artifact is None:
        raise Cancelled()
    emit({"stage": "export", "fraction": 1.0, "message": "Exporting TorchScript and ONNX",
          "step": result.steps})
    zip_path = write_download_zip(result.out_dir, Path(job["zip_path"]))
    return {"status": result.status, "metrics": result.metrics, "steps": result.steps,
            "seconds": result.seconds, "config": result.artifact.config_dict(),
            "zip_path": str(zip_path)}


def _finish(run: _Run, geometry: Geometry, dataset: PoseDataset, train_ds: PoseDataset,
            val_ds: PoseDataset, split: dict[str, list[str]],
            identity: list[str]) -> ModelArtifact:
    state = {k: {n: t.detach().cpu().contiguous() for n, t in net.state_dict().items()}
             for k, net in run.nets.items()}
    artifact = ModelArtifact(run.cfg, geometry, list(dataset.node_names), list(dataset.edges),
                             list(dataset.symmetries), state, identity_names=identity)
    threshold_table: list[dict[str, float]] = []
    if geometry.multi_instance and len(val_ds):
        artifact.geometry, threshold_table = _tuned_threshold(artifact, val_ds, run.device)
    artifact.metrics = split_metrics(artifact, dataset, split, run.device)
    artifact.extra = {"split": split_record(split), "steps": run.steps_done,
                      "train_seconds": time.monotonic() - run.t0,
                      "device": str(run.device), "n_train": len(train_ds),
                      "centroid_thresholds": threshold_table}
    artifact.save(run.out_dir)
    return artifact


def _tuned_threshold(artifact: ModelArtifact, val_ds: PoseDataset,
                     device: torch.device) -> tuple[Geometry, list[dict[str, float]]]:
    """The geometry with the centroid threshold and minimum distance chosen on validation."""
    from ml_worker.pipeline import TopDownModel
    from ml_worker.thresholds import choose_detection

    assert artifact.geometry is not None
    trained = artifact.build_module()
    n = max(val_ds.max_instances, 1)
    return choose_detection(
        artifact.geometry, lambda g: TopDownModel(trained.centroid, trained.instance, g).eval(),
        lambda m: _predict_samples(m, val_ds, device)[:3],
        val_ds.keypoints(n), val_ds.visibility(n), val_ds.node_names)


def check_split(split: dict[str, list[str]]) -> None:
    """Raise ValueError when a frame is in more than one of train, val and test."""
    parts = {name: set(split.get(name, [])) for name in ("train", "val", "test")}
    for a, b in (("train", "val"), ("train", "test"), ("val", "test")):
        both = sorted(parts[a] & parts[b])
        if both:
            raise ValueError(f"split: {len(both)} frame(s) in both {a} and {b}, e.g. {both[0]!r}")


def split_record(split: dict[str, list[str]]) -> dict[str, list[str]]:
    """Which frames were in which set, as stored with the artifact."""
    return {name: list(split.get(name, [])) for name in ("train", "val", "test")}


def split_metrics(artifact: ModelArtifact, dataset: PoseDataset, split: dict[str, list[str]],
                  device: torch.device) -> dict[str, Any]:
    """Validation metrics (flat, empty without val frames), plus ``"test"`` with a test set."""
    val, test = split.get("val", []), split.get("test", [])
    metrics = held_out_metrics(artifact, dataset.subset(val), device) if val else {}
    if test:
        metrics["test"] = held_out_metrics(artifact, dataset.subset(test), device)
    return metrics


def held_out_metrics(artifact: ModelArtifact, ds: PoseDataset,
                     device: torch.device) -> dict[str, Any]:
    """Metrics of ``artifact`` on ``ds`` (predicted anchors, the full pipeline).

    One animal per frame: :func:`ml_worker.metrics.compute_metrics` (RMSE, PCK per
    node), as always. Several: :func:`ml_worker.metrics_multi.evaluate` (OKS
    mAP/mAR, RMSE on matched instances, missed/spurious counts), with
    ``rmse_px`` set to the matched RMSE so single- and multi-animal models read alike.
    """
    module = artifact.build_module()
    points, scores, instance_scores, identity_scores = _predict_samples(module, ds, device)
    if artifact.max_instances == 1 and ds.max_instances <= 1:
        metrics = compute_metrics(points[:, 0], ds.keypoints(1)[:, 0], ds.visibility(1)[:, 0],
                                  ds.keys, ds.node_names)
    else:
        from ml_worker.metrics_multi import evaluate

        metrics = evaluate(points, scores, instance_scores, ds.keypoints(), ds.visibility(),
                           ds.node_names)
        metrics = {**metrics, "rmse_px": metrics.get("rmse_matched_px"), "n_frames": len(ds),
                   "frame_keys": list(ds.keys)}
    if identity_scores is not None:
        i = max(ds.max_instances, 1)
        metrics.update(identity_metrics(points, instance_scores, identity_scores,
                                        ds.keypoints(i), ds.visibility(i),
                                        track_labels(ds, artifact.identity_names, i),
                                        artifact.identity_names))
    return metrics


def _predict_samples(module: torch.nn.Module, ds: PoseDataset, device: torch.device,
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """``points (N, I, K, 2)``, ``scores (N, I, K)``, ``instance_scores (N, I)`` and
    ``identity_scores (N, I, T)`` (None without identities) for samples that may differ
    in size."""
    preds: dict[int, Predictions] = {}
    by_shape: dict[tuple[int, ...], list[int]] = {}
    for i, s in enumerate(ds.samples):
        by_shape.setdefault(s.image.shape, []).append(i)
    for idx in by_shape.values():
        frames = np.stack([ds.samples[i].image for i in idx])
        batch = predict_instances(module, frames, batch_size=16, device=str(device))
        for row, i in enumerate(idx):
            preds[i] = batch.row(row)
    rows = [preds[i] for i in range(len(ds))]
    identity = (np.stack([r.identity_scores for r in rows])
                if rows and rows[0].identity_scores is not None else None)
    return (np.stack([r.points for r in rows]), np.stack([r.scores for r in rows]),
            np.stack([r.instance_scores for r in rows]), identity)


def _train_bottom_up(cfg: TrainConfig, dataset: PoseDataset, train_ds: PoseDataset,
                     val_ds: PoseDataset, split: dict[str, list[str]], out: Path,
                     device: torch.device, t0: float, on_progress: ProgressFn | None,
                     should_stop: StopFn | None, max_instances: int) -> TrainResult:
    """Train the bottom-up model of :mod:`ml_worker.bottomup` and save it as an artifact."""
    from ml_worker import bottomup

    def arrays(ds: PoseDataset) -> tuple[list[np.ndarray], list[np.ndarray]]:
        return [s.image for s in ds.samples], [s.keypoints for s in ds.samples]

    cancelled = False

    def stop() -> bool:
        nonlocal cancelled
        cancelled = cancelled or bool(should_stop and should_stop())
        return cancelled

    from ml_worker.guard import Cancelled

    budget = cfg.max_seconds if cfg.max_seconds else LIMITS_BOTTOM_UP_BUDGET_S
    reserve = min(15.0, 0.03 * budget)  # room for the held-out metrics, as top-down keeps
    images, points = arrays(train_ds)
    try:
        model = bottomup.fit(images, points, node_names=list(dataset.node_names),
                             edges=list(dataset.edges), symmetries=list(dataset.symmetries),
                             cfg=cfg, budget_s=max(budget - reserve, 1.0), device=device,
                             emit=on_progress, should_stop=stop,
                             val=arrays(val_ds) if len(val_ds) else None)
    except Cancelled:
        cancelled = True
    if cancelled:
        return TrainResult("cancelled", None, out, seconds=time.monotonic() - t0)
    state = {"bottom_up": {n: t.detach().cpu().contiguous()
                           for n, t in model.state_dict().items()}}
    artifact = ModelArtifact(cfg, None, list(dataset.node_names), list(dataset.edges),
                             list(dataset.symmetries), state, model_kind="bottom_up",
                             bottom_up=model.to_dict(), max_instances=max_instances)
    artifact.metrics = split_metrics(artifact, dataset, split, device)
    history = list(getattr(model, "history", []))
    steps = int(history[-1]["step"]) if history else 0
    artifact.extra = {"split": split_record(split), "steps": steps,
                      "train_seconds": time.monotonic() - t0,
                      "device": str(device), "n_train": len(train_ds),
                      "frame_size": [max(i.shape[0] for i in images),
                                     max(i.shape[1] for i in images)]}
    artifact.save(out)
    return TrainResult("completed", artifact, out, artifact.metrics, steps,
                       time.monotonic() - t0, [{"stage": "bottom_up", **h} for h in history])


def _batches(n: int, batch: int, gen: torch.Generator) -> Iterator[Tensor]:
    """Endless shuffled batches of indices (epochs concatenated)."""
    pool = torch.empty(0, dtype=torch.long)
    while True:
        while len(pool) < batch:
            pool = torch.cat([pool, torch.randperm(n, generator=gen)])
        yield pool[:batch]
        pool = pool[batch:]


def _fit(run: _Run, name: str, data: StageData, offset: float, weight: float) -> Status:
    """Fit one stage's net; leaves its best weights loaded."""
    cfg, net = run.cfg, run.nets[name]
    gen = torch.Generator().manual_seed(cfg.seed * 1000 + (name == "instance"))
    opt = torch.optim.AdamW(net.parameters(), lr=cfg.learning_rate, weight_decay=cfg.weight_decay,
                            foreach=True)
    amp = run.device.type == "cuda" and cfg.amp
    amp_dtype = torch.bfloat16 if amp and torch.cuda.is_bf16_supported() else torch.float16
    scaler = torch.amp.GradScaler("cuda", enabled=amp and amp_dtype == torch.float16)
    max_steps = max(1, round(cfg.max_steps * weight))
    start = time.monotonic()
    budget = None
    if run.deadline is not None:
        reserve = min(15.0, 0.03 * (cfg.max_seconds or 0))
        stage_end = run.deadline - reserve if name == "instance" else (
            start + weight * (run.deadline - start - reserve))
        budget = max(stage_end - start, 1.0)
    epoch_steps = max(1, math.ceil(run.n_train / cfg.batch_size))
    val_every = cfg.val_every_steps or max(epoch_steps, 20)
    best, best_state, bad, status = math.inf, copy.deepcopy(net.state_dict()), 0, "completed"
    losses: list[float] = []
    step, progress = 0, 0.0
    index_stream = _batches(data.n_train, cfg.batch_size, gen)
    net.train()
    while step < max_steps:
        if run.should_stop is not None and run.should_stop():
            raise _Cancelled
        elapsed = time.monotonic() - start
        progress = max(step / max_steps, elapsed / budget if budget else 0.0)
        if progress >= 1.0:
            status = "time_budget"
            break
        for group in opt.param_groups:
            group["lr"] = cfg.learning_rate * lr_factor(progress, cfg.schedule, cfg.warmup_fraction)
        x, y, mask = data.train_batch(next(index_stream), gen)
        x = x.contiguous(memory_format=torch.channels_last)
        with torch.autocast(run.device.type, dtype=amp_dtype, enabled=amp):
            loss = data.loss(_as_float(net(x)), y, mask)
        opt.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()
        losses.append(float(loss.detach()))
        step += 1
        run.steps_done += 1
        is_val = step % val_every == 0 or step == max_steps
        val_loss = None
        if is_val:
            val_loss = _validate(net, data, run.device, amp, amp_dtype)
            train_loss = float(np.mean(losses[-val_every:]))
            run.history.append({"stage": name, "step": step, "train_loss": train_loss,
                                "val_loss": val_loss, "seconds": time.monotonic() - run.t0})
            if val_loss < best:
                best, bad = val_loss, 0
                best_state = copy.deepcopy(net.state_dict())
                _checkpoint(run, name, step, force=False)
            else:
                bad += 1
            if progress >= 0.5 and bad >= cfg.early_stopping_patience:
                status = "early_stopped"
                break
        _report(run, name, step, epoch_steps, progress, offset, weight, losses, val_loss,
                force=is_val)
    if step > 0 and step % val_every != 0 and step != max_steps:
        # The time budget ran out between validations: judge the last steps too, or a
        # short budget would publish the untrained initial weights as the "best" ones.
        val_loss = _validate(net, data, run.device, amp, amp_dtype)
        run.history.append({"stage": name, "step": step,
                            "train_loss": float(np.mean(losses[-(step % val_every):])),
                            "val_loss": val_loss, "seconds": time.monotonic() - run.t0})
        if val_loss < best:
            best_state = copy.deepcopy(net.state_dict())
        _report(run, name, step, epoch_steps, progress, offset, weight, losses, val_loss,
                force=True)
    net.load_state_dict(best_state)
    _checkpoint(run, name, step, force=True)
    return status


def _validate(net: nn.Module, data: StageData, device: torch.device, amp: bool,
              amp_dtype: torch.dtype) -> float:
    net.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for x, y, mask in data.val_batches():
            x = x.contiguous(memory_format=torch.channels_last)
            with torch.autocast(device.type, dtype=amp_dtype, enabled=amp):
                total += float(data.loss(_as_float(net(x)), y, mask)) * len(x)
            count += len(x)
    net.train()
    return total / max(count, 1)


def _as_float(output: Tensor | tuple[Tensor, ...]) -> Tensor | tuple[Tensor, ...]:
    """A net's output in float32 (an identity instance net gives maps and logits)."""
    if isinstance(output, tuple):
        return tuple(t.float() for t in output)
    return output.float()


def _checkpoint(run: _Run, stage: str, step: int, force: bool) -> None:
    now = time.monotonic()
    if not force and now - run.last_checkpoint < 30:
        return
    run.last_checkpoint = now
    state = {k: net.state_dict() for k, net in run.nets.items()}
    atomic_torch_save({"stage": stage, "step": step, "state": state,
                       "config": run.cfg.to_dict()}, run.out_dir / "checkpoint.pt")


def _report(run: _Run, stage: str, step: int, epoch_steps: int, progress: float, offset: float,
            weight: float, losses: list[float], val_loss: float | None, force: bool) -> None:
    now = time.monotonic()
    if run.on_progress is None or (not force and now - run.last_report < 1.0):
        return
    run.last_report = now
    fraction = min(1.0, offset + weight * progress)
    elapsed = now - run.t0
    eta = elapsed * (1 - fraction) / fraction if fraction > 0 else None
    if run.deadline is not None:
        eta = min(eta if eta is not None else math.inf, max(0.0, run.deadline - now))
    run.on_progress({
        "stage": stage, "epoch": step // epoch_steps, "step": run.steps_done,
        "total_steps": max(run.steps_done, round(run.steps_done / fraction)) if fraction else 0,
        "fraction": fraction, "train_loss": float(np.mean(losses[-20:])),
        "val_loss": val_loss, "eta_seconds": eta, "elapsed_seconds": elapsed,
    })
