"""bench-al: seeds split over processes, and random picking's curves reused."""

import argparse
import json

import pytest

from bench.active_learning import reused_random, seed_list


def args(**kw) -> argparse.Namespace:
    base = {"seeds": 3, "seed_list": None, "random_from": None, "steps": 250, "first_steps": 500}
    return argparse.Namespace(**{**base, **kw})


def test_seed_list_or_range():
    assert seed_list(args()) == [0, 1, 2]
    assert seed_list(args(seed_list="2,0")) == [2, 0]


def test_random_curves_come_only_from_the_same_protocol(tmp_path):
    path = tmp_path / "al.json"
    curves = [[30.0, 9.0], [26.0, 12.0], [21.0, 8.0]]
    path.write_text(json.dumps({"pool": {"rounds": [10, 20], "steps_per_round": 250,
                                         "first_model_steps": 500,
                                         "per_seed": {"random": curves}}}))  # fmt: skip
    assert reused_random(args(), "pool", [10, 20]) is None
    assert reused_random(args(random_from=path), "pool", [10, 20]) == curves
    for bad in ({"steps": 300}, {"first_steps": 600}, {"seed_list": "3"}):
        with pytest.raises(SystemExit, match="random-from"):
            reused_random(args(random_from=path, **bad), "pool", [10, 20])
    with pytest.raises(SystemExit, match="random-from"):
        reused_random(args(random_from=path), "pool", [10, 20, 30])
    with pytest.raises(SystemExit, match="random-from"):
        reused_random(args(random_from=path), "other-pool", [10, 20])
