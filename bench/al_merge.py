"""Merge bench-al runs made in parts (arms or seeds in separate processes) into one pool entry.

Usage (from the repository root)::

    python bench/al_merge.py --pool centered-pair \\
        --part bench/results/active_learning.json:default=greedy \\
        --part /work/al/cp/active_learning.json --part /work/al/cpdiv/active_learning.json \\
        --main clusters --out bench/results/active_learning.json

Each ``--part`` is a results file of ``bench/active_learning.py`` (optionally
``:old=new`` renames its arms, e.g. when the app's default changed since); the
parts must share the pool's rounds and step budgets. Random picking's curves
must agree wherever two parts hold the same seed (they are the same picks and
budgets, so they do to the bit). Every arm must cover the same seeds. ``--main``
is the arm reported under today's keys (``strategy_rmse``...), normally the
arm that is the app's default now.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.al_curves import arm_summary, labels_to_match, verdict  # noqa: E402

SAME = ("rounds", "steps_per_round", "first_model_steps", "seconds_per_round", "warm_start")


def part_seeds(entry: dict[str, Any]) -> list[int]:
    """The seeds a pool entry ran (older files: 0 .. seeds - 1)."""
    return entry.get("seed_list") or list(range(entry["seeds"]))


def encoder_settings(entry: dict[str, Any]) -> dict[str, Any] | None:
    """How a part's encoder was pretrained (None: trained from scratch)."""
    return (entry["settings"].get("pretrained_encoder") or {}).get("settings")


def merge(entries: list[tuple[dict[str, Any], dict[str, str]]], main: str,
          keep: set[str] | None = None) -> dict[str, Any]:  # fmt: skip
    """One pool entry from several, arms renamed by each part's mapping (only the
    arms in ``keep``, after renaming, when given; random always)."""
    first = entries[0][0]
    for entry, _ in entries[1:]:
        for key in SAME:
            if entry.get(key) != first.get(key):
                raise SystemExit(f"parts differ in {key}: {entry.get(key)} vs {first.get(key)}")
        if encoder_settings(entry) != encoder_settings(first):
            raise SystemExit("parts differ in the pretrained encoder: "
                             f"{encoder_settings(entry)} vs {encoder_settings(first)}")
    curves: dict[str, dict[int, list[float]]] = {}
    for entry, rename in entries:
        seeds = part_seeds(entry)
        arms = {"random": entry["per_seed"]["random"]}
        arms.update({a: s["per_seed"] for a, s in entry["signals"].items()})
        for arm, per_seed in arms.items():
            name = rename.get(arm, arm)
            if keep is not None and name not in keep | {"random"}:
                continue
            for seed, curve in zip(seeds, per_seed, strict=True):
                held = curves.setdefault(name, {}).get(seed)
                if held is not None and not np.allclose(held, curve, atol=1e-6):
                    raise SystemExit(f"{name} seed {seed}: two parts disagree ({held} vs {curve})")
                curves[name][seed] = curve
    seeds = sorted(curves["random"])
    for arm, by_seed in curves.items():
        if sorted(by_seed) != seeds:
            raise SystemExit(f"{arm} ran seeds {sorted(by_seed)}, random {seeds}")
    rounds = first["rounds"]
    random_ = [curves["random"][s] for s in seeds]
    rnd_mean, rnd_sd = np.mean(random_, axis=0), np.std(random_, axis=0)
    signals = {}
    for arm in sorted(curves, key=lambda a: (a != main, a)):
        if arm == "random":
            continue
        summary = arm_summary(rounds, [curves[arm][s] for s in seeds], random_)
        summary["verdict"] = verdict(rounds, summary, rnd_sd.tolist(), rnd_mean.tolist())
        signals[arm] = summary
    if main not in signals:
        raise SystemExit(f"--main {main}: no such arm in the parts ({sorted(signals)})")
    strategy = signals[main]
    return {
        **{k: first.get(k) for k in SAME},
        "strategy": main,
        "strategy_rmse": strategy["rmse"],
        "random_rmse": rnd_mean.tolist(),
        "per_seed": {"strategy": strategy["per_seed"], "random": random_},
        "labels_to_match_random_final": labels_to_match(rounds, strategy["rmse"],
                                                        float(rnd_mean[-1])),  # fmt: skip
        "rmse_sd_over_seeds": {"strategy": strategy["sd"], "random": rnd_sd.tolist()},
        "signals": signals,
        "target_met": strategy["verdict"]["met"],
        "first_model_seconds": first.get("first_model_seconds"),
        "seeds": len(seeds),
        "seed_list": seeds,
        "settings": {
            **first["settings"],
            "arms": ["random", *signals],
            "wall_seconds": sum(e["settings"].get("wall_seconds", 0) for e, _ in entries),
            "trainings": len(seeds) * (1 + len(signals) * (len(rounds) - 1)),
            "merged_from": len(entries),
        },
    }


def merge_rounds(args: argparse.Namespace, arms: dict[str, Any]) -> None:
    """Which frames trained and validated each round: the parts' split files (beside
    their results) into the one beside ``--out``, arms renamed as in ``--part``."""
    split_out = args.out.with_name("active_learning_split.json")
    stored = json.loads(split_out.read_text()) if split_out.is_file() else {}
    # this pool's rounds come from the parts alone (an arm renamed there must not keep
    # the stored entry under its old name)
    rounds = {k: v for k, v in stored.get("rounds", {}).items()
              if not k.startswith(f"{args.pool}/")}  # fmt: skip
    for spec in args.part:
        path, _, renames = spec.partition(":")
        rename = dict(r.split("=", 1) for r in renames.split(",") if r)
        split = Path(path).with_name("active_learning_split.json")
        if not split.is_file():
            continue
        # only what this part ran: its arms and seeds (a split file copied into a run's
        # folder also holds older runs' rounds), random only when it trained it
        entry = json.loads(Path(path).read_text())[args.pool]
        ran = set(entry["signals"]) | ({"random"} if not entry["settings"].get("random_from")
                                       else set())  # fmt: skip
        seeds = {f"seed{s}" for s in part_seeds(entry)}
        for key, value in json.loads(split.read_text()).get("rounds", {}).items():
            pool, seed, arm = key.split("/")
            name = rename.get(arm, arm)
            if pool == args.pool and arm in ran and seed in seeds and name in {*arms, "random"}:
                rounds.setdefault(f"{pool}/{seed}/{name}", value)
    split_out.write_text(json.dumps({**stored, "rounds": rounds}, indent=1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pool", required=True)
    parser.add_argument("--part", action="append", required=True,
                        help="results file[:old=new,old=new] (arm renames)")  # fmt: skip
    parser.add_argument("--main", default="default", help="the arm under today's keys")
    parser.add_argument("--arms", default=None, help="comma-separated arms to keep (default all)")
    parser.add_argument("--out", type=Path, required=True, help="results file to update")
    args = parser.parse_args()
    entries = []
    for spec in args.part:
        path, _, renames = spec.partition(":")
        rename = dict(r.split("=", 1) for r in renames.split(",") if r)
        entries.append((json.loads(Path(path).read_text())[args.pool], rename))
    keep = set(args.arms.split(",")) if args.arms else None
    merged = merge(entries, args.main, keep)
    results = json.loads(args.out.read_text()) if args.out.is_file() else {}
    results[args.pool] = merged
    args.out.write_text(json.dumps(results, indent=2))
    merge_rounds(args, merged["signals"])
    print(f"{args.pool}: seeds {merged['seed_list']}, main {args.main}: "
          f"{[round(v, 2) for v in merged['strategy_rmse']]} vs random "
          f"{[round(v, 2) for v in merged['random_rmse']]}; labels to match "
          f"{merged['labels_to_match_random_final']}, met {merged['target_met']}")  # fmt: skip


if __name__ == "__main__":
    main()
