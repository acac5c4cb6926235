"""How much room a video pool leaves for picking: the test error with every pool frame labeled.

Usage (from the repository root, after ``bench/active_learning.py`` ran the pool)::

    python bench/al_all_labels.py --pools openfield-video --steps 250 --first-steps 500 \\
        --max-labels 40 --reference-steps 1000 --video-stride 8 --reference-min-score 0.5

The active-learning measure (labels a strategy needs to reach random picking's
error at the largest round) leaves picking nothing to win once random picking
is already as good as labeling the whole pool. This trains, per seed, on every
pool sample (the app's seeded 80/20 train/validation split), from the pool's
pretrained encoder as every round of the benchmark does, for as many optimiser
steps as the last round's model had in all (first model plus every warm-started
round), and scores the same test set. It adds ``all_labels`` to the pool's entry
of ``<out>/active_learning.json`` (``labels``, ``steps``, ``rmse``, ``per_seed``,
``sd``, and ``random_final_minus_all_labels``: how far random picking's last
round is from it) and keeps the rest of the entry.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.active_learning import (  # noqa: E402
    RESULTS,
    fit,
    labeled_split,
    load_pool,
    pool_encoder,
    seed_list,
    test_rmse,
)
from bench.al_pools import REFERENCE_MIN_SCORE, Pool  # noqa: E402


def all_labels_steps(first_steps: int, steps: int, rounds: int) -> int:
    """Optimiser steps behind the last round's model: the first model's, then each
    warm-started round's."""
    return first_steps + steps * (rounds - 1)


def all_labels_entry(pool: Pool, per_seed: list[float], steps: int,
                     random_final: float | None, seconds: float) -> dict[str, Any]:  # fmt: skip
    """The ``all_labels`` object of a pool entry."""
    mean = float(np.mean(per_seed))
    return {
        "labels": len(pool.pool),
        "steps": steps,
        "rmse": mean,
        "per_seed": per_seed,
        "sd": float(np.std(per_seed)),
        "random_final_minus_all_labels": None if random_final is None else random_final - mean,
        "wall_seconds": round(seconds),
    }


def main() -> None:
    """Train on every pool sample per seed and add the figures to the results file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pools", default="openfield-video,centered-pair")
    parser.add_argument("--steps", type=int, required=True, help="bench-al's steps per round")
    parser.add_argument("--first-steps", type=int, required=True)
    parser.add_argument("--start", type=int, default=10)
    parser.add_argument("--step", type=int, default=10)
    parser.add_argument("--max-labels", type=int, required=True)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--seed-list", default=None, help="as bench/active_learning.py's")
    parser.add_argument("--reference-seconds", type=float, default=1200.0)
    parser.add_argument("--reference-steps", type=int, default=None)
    parser.add_argument("--reference-min-score", type=float, default=REFERENCE_MIN_SCORE)
    parser.add_argument("--video-stride", type=int, default=4)
    parser.add_argument("--pretrain-steps", type=int, default=900)
    parser.add_argument("--pretrain-frames", type=int, default=200)
    parser.add_argument("--max-pool", type=int, default=None, help="smoke runs")
    parser.add_argument("--max-test", type=int, default=None, help="smoke runs")
    parser.add_argument("--test-frames", type=int, default=30)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    rounds = len(range(args.start, args.max_labels + 1, args.step))
    steps = all_labels_steps(args.first_steps, args.steps, rounds)
    results_path = args.out / "active_learning.json"
    for name in args.pools.split(","):
        t0 = time.monotonic()
        pool = load_pool(name, args, args.out / "active_learning_split.json")
        encoder, _ = pool_encoder(pool, args)
        per_seed = []
        for seed in seed_list(args):
            # a step budget turns the clock off (600 s is only there to be valid)
            model = fit(pool.dataset, labeled_split(list(pool.pool), seed), 600.0, seed,
                        steps=steps, encoder=encoder)  # fmt: skip
            per_seed.append(test_rmse(model, pool.dataset, pool.test))
            print(f"{name} seed {seed}: {len(pool.pool)} labels, {steps} steps: "
                  f"{per_seed[-1]:.2f} px", flush=True)  # fmt: skip
        # Read late: a bench-al run of another pool may have written the file meanwhile.
        results = json.loads(results_path.read_text()) if results_path.is_file() else {}
        entry = results.setdefault(name, {})
        random_final = entry["random_rmse"][-1] if entry.get("random_rmse") else None
        entry["all_labels"] = all_labels_entry(pool, per_seed, steps, random_final,
                                               time.monotonic() - t0)  # fmt: skip
        results_path.write_text(json.dumps(results, indent=2))
        print(f"{name}: all {len(pool.pool)} labels {entry['all_labels']['rmse']:.2f} px; "
              f"random's last round {random_final}", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
