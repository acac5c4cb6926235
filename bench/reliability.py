"""Reliability proofs 1-5 of issue 7 at full length (make reliability).

Runs, with pytest, the authorization matrix (1) and every test marked
``reliability`` under tests/reliability: long schemathesis fuzzing (2), the whole
hostile-upload corpus (3), minutes of concurrent annotators over HTTP (4) and
SIGKILLed workers (+ a Redis outage when REDIS_URL is set) (5). The tests report
their figures as JSON lines; this script merges them into
bench/results/reliability.json and prints them. Exit status: pytest's.

    python bench/reliability.py                      # full length (~10-15 min on 2 cores)
    python bench/reliability.py --annotator-seconds 60 --fuzz-examples 20 --kills 2
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULT = REPO / "bench" / "results" / "reliability.json"
REQUIRED = [
    "auth_endpoints", "auth_cells", "auth_mismatches", "fuzz_operations", "fuzz_5xx",
    "upload_files", "upload_5xx", "writes_outside_media", "annotators", "saves", "lost_saves",
    "stale_saves_applied", "save_p95_ms", "worker_kills", "stuck_jobs", "double_runs",
]  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--annotator-seconds", type=float, default=180)
    parser.add_argument("--fuzz-examples", type=int, default=60)
    parser.add_argument("--kills", type=int, default=3)
    parser.add_argument("--out", type=Path, default=RESULT)
    parser.add_argument("pytest_args", nargs="*", help="extra pytest arguments, e.g. -x")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        figures_file = Path(tmp) / "figures.jsonl"
        env = {
            **os.environ,
            "RELIABILITY_FIGURES": str(figures_file),
            "RELIABILITY_LONG": "1",
            "RELIABILITY_ANNOTATOR_SECONDS": str(args.annotator_seconds),
            "RELIABILITY_FUZZ_EXAMPLES": str(args.fuzz_examples),
            "RELIABILITY_KILLS": str(args.kills),
        }
        runs = [
            ["tests/reliability/test_authz_matrix.py"],
            ["tests/reliability", "-m", "reliability"],
        ]
        codes, started = [], time.monotonic()
        for selection in runs:
            command = [sys.executable, "-m", "pytest", *selection, "-p", "no:cacheprovider",
                       "-q", "-rfE", *args.pytest_args]  # fmt: skip
            print("$", " ".join(command), flush=True)
            codes.append(subprocess.call(command, cwd=REPO, env=env))
        figures: dict[str, object] = {}
        if figures_file.exists():
            for line in figures_file.read_text().splitlines():
                figures.update(json.loads(line))
    missing = [name for name in REQUIRED if name not in figures]
    result = {
        "figures": figures,
        "missing_figures": missing,
        "passed": all(code == 0 for code in codes) and not missing,
        "pytest_exit_codes": codes,
        "settings": {"annotator_seconds": args.annotator_seconds,
                     "fuzz_examples_per_operation": args.fuzz_examples, "kills": args.kills},
        "database": "postgresql" if os.environ.get("DATABASE_URL", "").startswith("postgres")
        else "sqlite",
        "broker": "redis" if os.environ.get("REDIS_URL") else "filesystem",
        "wall_seconds": round(time.monotonic() - started, 1),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform()},
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }  # fmt: skip
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print("\nReliability figures:")
    for name, value in figures.items():
        print(f"  {name}: {value}")
    if missing:
        print(f"  missing: {', '.join(missing)}")
    print(f"Wrote {args.out.relative_to(REPO) if args.out.is_relative_to(REPO) else args.out}")
    return 0 if result["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
