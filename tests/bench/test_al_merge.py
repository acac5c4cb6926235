"""bench-al parts (arms or seeds run apart) merge into one pool entry."""

import pytest

from bench.al_merge import merge


def entry(seeds, random_, arms, **kw):
    return {"rounds": [10, 20, 30], "steps_per_round": 250, "first_model_steps": 500,
            "seconds_per_round": None, "warm_start": True, "seeds": len(seeds),
            "seed_list": seeds, "per_seed": {"random": random_},
            "signals": {a: {"per_seed": c} for a, c in arms.items()},
            "settings": {"wall_seconds": 100}, **kw}  # fmt: skip


R = {0: [30.0, 10.0, 9.0], 1: [20.0, 12.0, 8.0], 2: [25.0, 9.0, 8.5]}


def test_arms_and_seeds_from_parts_make_one_report():
    old = entry([0, 1, 2], [R[0], R[1], R[2]], {"default": [[30, 9, 8], [20, 11, 7], [25, 9, 8]]})
    new_a = entry([0], [R[0]], {"clusters": [[30, 5, 4]]})
    new_b = entry([1, 2], [R[1], R[2]], {"clusters": [[20, 6, 5], [25, 5, 4]]})
    out = merge([(old, {"default": "greedy"}), (new_a, {}), (new_b, {})], main="clusters")
    assert out["seed_list"] == [0, 1, 2] and list(out["signals"]) == ["clusters", "greedy"]
    assert out["strategy"] == "clusters" and out["strategy_rmse"] == pytest.approx([25, 16 / 3, 13 / 3])
    assert out["per_seed"]["random"] == [R[0], R[1], R[2]]
    assert out["labels_to_match_random_final"] is not None and out["labels_to_match_random_final"] < 20
    assert out["settings"]["arms"] == ["random", "clusters", "greedy"]
    assert out["settings"]["wall_seconds"] == 300 and out["settings"]["trainings"] == 3 * 5
    one_seed = entry([0], [R[0]], {"uncertainty": [[30, 20, 9]], "clusters": [[30, 5, 4]]})
    out = merge([(old, {}), (one_seed, {}), (new_b, {})], main="default", keep={"default", "clusters"})
    assert list(out["signals"]) == ["default", "clusters"]


def test_parts_that_disagree_or_miss_seeds_are_refused():
    old = entry([0, 1], [R[0], R[1]], {"default": [[30, 9, 8], [20, 11, 7]]})
    other = entry([0], [[30.0, 10.5, 9.0]], {"clusters": [[30, 5, 4]]})
    with pytest.raises(SystemExit, match="disagree"):
        merge([(old, {}), (other, {})], main="clusters")
    short = entry([0], [R[0]], {"clusters": [[30, 5, 4]]})
    with pytest.raises(SystemExit, match="ran seeds"):
        merge([(old, {}), (short, {})], main="clusters")
    steps = entry([0], [R[0]], {"clusters": [[30, 5, 4]]}, steps_per_round=300)
    with pytest.raises(SystemExit, match="steps_per_round"):
        merge([(old, {}), (steps, {})], main="default")
    pretrained = entry([0], [R[0]], {"clusters": [[30, 5, 4]]}, settings={
        "pretrained_encoder": {"settings": {"pretrain": {"max_steps": 900}, "frames": 200}}})
    with pytest.raises(SystemExit, match="pretrained encoder"):  # from scratch vs pretrained
        merge([(old, {}), (pretrained, {})], main="default")


def test_rounds_come_from_what_each_part_ran(tmp_path, monkeypatch):
    import json
    import sys

    from bench import al_merge

    base, new, out = tmp_path / "base", tmp_path / "new", tmp_path / "out"
    for d in (base, new, out):
        d.mkdir()
    old = entry([0], [R[0]], {"default": [[30, 9, 8]]}, settings={"random_from": None})
    fresh = entry([0], [R[0]], {"clusters": [[30, 5, 4]]}, settings={"random_from": "x.json"})
    (base / "active_learning.json").write_text(json.dumps({"pool": old}))
    (new / "active_learning.json").write_text(json.dumps({"pool": fresh}))
    rounds = {"pool/seed0/default": ["greedy picks"], "pool/seed0/random": ["random picks"]}
    (base / "active_learning_split.json").write_text(json.dumps({"rounds": rounds}))
    # the new run's folder holds a copy of the old split file plus its own rounds
    copied = {**rounds, "pool/seed0/clusters": ["cluster picks"]}
    (new / "active_learning_split.json").write_text(json.dumps({"rounds": copied}))
    monkeypatch.setattr(sys, "argv", [
        "al_merge", "--pool", "pool", "--part", f"{base}/active_learning.json:default=greedy",
        "--part", f"{new}/active_learning.json:clusters=default", "--out",
        str(out / "active_learning.json")])  # fmt: skip
    al_merge.main()
    merged = json.loads((out / "active_learning_split.json").read_text())["rounds"]
    assert merged == {"pool/seed0/greedy": ["greedy picks"], "pool/seed0/random": ["random picks"],
                      "pool/seed0/default": ["cluster picks"]}  # fmt: skip
