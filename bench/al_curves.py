"""Learning curves of the active-learning benchmark: how many labels a strategy needs.

Pure numpy, so the tests can check the arithmetic without training anything.

- :func:`labels_to_match`: the labels at which a curve first reaches a target
  error (linear interpolation between rounds), e.g. random picking's error at
  the largest round;
- :func:`arm_summary`: one arm's mean curve, per-seed curves and spread, its
  labels to match random's final error (from the mean curve, and per seed);
- :func:`verdict`: did the arm need at most ``fraction`` of random's labels,
  with a gap to random larger than the seed spread where it got there.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

TARGET_FRACTION = 2 / 3


def labels_to_match(rounds: Sequence[int], curve: Sequence[float], target: float) -> float | None:
    """Labels at which ``curve`` first reaches ``target`` (linear interpolation), else None.

    Args:
        rounds: label counts, increasing.
        curve: the error at each round (lower is better).
        target: the error to reach.

    Returns:
        ``rounds[0]`` when the first round already reaches it; between two
        rounds, where the straight line between them crosses ``target``.
    """
    for i, value in enumerate(curve):
        if value <= target:
            if i == 0:
                return float(rounds[0])
            x0, x1, y0, y1 = rounds[i - 1], rounds[i], curve[i - 1], curve[i]
            return float(x0 + (x1 - x0) * (y0 - target) / (y0 - y1))
    return None


def arm_summary(rounds: Sequence[int], per_seed: Sequence[Sequence[float]],
                random_per_seed: Sequence[Sequence[float]]) -> dict[str, Any]:  # fmt: skip
    """One arm against random picking.

    Args:
        rounds: label counts.
        per_seed: the arm's test error per seed and round.
        random_per_seed: random picking's, same seeds.

    Returns:
        ``{"rmse", "per_seed", "sd", "labels_to_match_random_final",
        "labels_to_match_per_seed", "fraction_of_random_labels"}``: the
        per-seed figures reach each seed's own random final error.
    """
    arm, rnd = np.asarray(per_seed, float), np.asarray(random_per_seed, float)
    mean, rnd_mean = arm.mean(axis=0), rnd.mean(axis=0)
    match = labels_to_match(rounds, mean.tolist(), float(rnd_mean[-1]))
    return {
        "rmse": mean.tolist(),
        "per_seed": arm.tolist(),
        "sd": arm.std(axis=0).tolist(),
        "labels_to_match_random_final": match,
        "labels_to_match_per_seed": [
            labels_to_match(rounds, a.tolist(), float(r[-1])) for a, r in zip(arm, rnd, strict=True)
        ],  # fmt: skip
        "fraction_of_random_labels": None if match is None else match / rounds[-1],
    }


def verdict(rounds: Sequence[int], arm: dict[str, Any], random_sd: Sequence[float],
            random_rmse: Sequence[float], fraction: float = TARGET_FRACTION) -> dict[str, Any]:  # fmt: skip
    """Whether ``arm`` (from :func:`arm_summary`) beats random picking by the issue's measure.

    The arm must reach random's final error with at most ``fraction`` of random's
    labels, and at the first round at or past that point its error must be below
    random's by more than the larger of the two seed SDs there.

    Returns:
        ``{"met", "labels", "round", "gap", "seed_sd"}`` (None where undefined).
    """
    match = arm["labels_to_match_random_final"]
    out: dict[str, Any] = {"met": False, "labels": match, "round": None, "gap": None,
                           "seed_sd": None}  # fmt: skip
    if match is None:
        return out
    i = next(j for j, r in enumerate(rounds) if r >= match - 1e-9)
    gap = float(random_rmse[i] - arm["rmse"][i])
    sd = float(max(arm["sd"][i], random_sd[i]))
    out.update(
        round=rounds[i],
        gap=gap,
        seed_sd=sd,
        met=bool(match <= fraction * rounds[-1] + 1e-9 and gap > sd),
    )
    return out
