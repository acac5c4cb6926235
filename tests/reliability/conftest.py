"""Reliability proofs (issue 7): shared fixtures and the figures every proof prints.

Heavy variants carry the ``reliability`` marker and run under ``make reliability``
(``python bench/reliability.py``); the fast variants are part of the normal suite.
Figures go to the terminal summary and, when ``RELIABILITY_FIGURES`` names a file,
are appended there as JSON lines for bench/reliability.py.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

_FIGURES: dict[str, object] = {}


def record(**figures: object) -> None:
    """Keep figures for the summary (later values of the same name add up if numeric and
    the name ends with '+', e.g. record(**{"saves+": 3}))."""
    for name, value in figures.items():
        if name.endswith("+"):
            name = name[:-1]
            value = (_FIGURES.get(name) or 0) + value  # type: ignore[operator]
        _FIGURES[name] = value
    path = os.environ.get("RELIABILITY_FIGURES")
    if path:
        with Path(path).open("a") as handle:
            handle.write(
                json.dumps({k.rstrip("+"): _FIGURES[k.rstrip("+")] for k in figures}) + "\n"
            )


def pytest_terminal_summary(terminalreporter) -> None:
    if _FIGURES:
        terminalreporter.section("reliability figures")
        for name, value in _FIGURES.items():
            terminalreporter.write_line(f"{name}: {value}")


def long_run() -> bool:
    """True under make reliability (bench/reliability.py sets RELIABILITY_LONG=1)."""
    return os.environ.get("RELIABILITY_LONG", "") == "1"


@pytest.fixture
def world(project, video, alice, synthetic_video_file):
    """(lab A of alice/bob/rita/vic, lab B of oscar): one of every object each."""
    from django.core.cache import cache

    from tests.reliability.world import make_lab, make_other_lab

    cache.clear()  # login throttle counters of earlier tests
    return make_lab(project, video, alice), make_other_lab(synthetic_video_file[0])
