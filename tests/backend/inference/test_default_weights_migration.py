"""inference 0005: projects on the old all-ones default weights move to the new default.

The database is taken back to inference 0004, settings rows are made with that
state's models, and the migration is run forward (and back) for real.
"""

from __future__ import annotations

import pytest

from backend.inference.models import DEFAULT_WEIGHTS
from tests.backend.migrations import migrate, migrate_to_latest

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("inference", "0004_al_selection")]
AFTER = [("inference", "0005_default_weights")]
OLD = dict.fromkeys(DEFAULT_WEIGHTS, 1.0)


@pytest.fixture
def old_apps():
    yield migrate(BEFORE)
    migrate_to_latest()


def _settings(apps, name: str, weights: dict) -> int:
    project = apps.get_model("projects", "Project").objects.create(name=name)
    row = apps.get_model("inference", "ActiveLearningSettings").objects.create(
        project=project, weights=weights
    )
    return row.pk


def test_old_defaults_move_and_chosen_weights_stay(old_apps):
    untouched = _settings(old_apps, "untouched", dict(OLD))
    older = _settings(old_apps, "older", {k: 1.0 for k in list(OLD)[:4]})  # before later signals
    chosen = _settings(old_apps, "chosen", {**OLD, "temporal": 2.0})
    custom_zero = _settings(old_apps, "zero", {**OLD, "diversity": 0.0})

    new_apps = migrate(AFTER)
    rows = new_apps.get_model("inference", "ActiveLearningSettings").objects
    assert rows.get(pk=untouched).weights == DEFAULT_WEIGHTS
    assert rows.get(pk=older).weights == DEFAULT_WEIGHTS
    assert rows.get(pk=chosen).weights == {**OLD, "temporal": 2.0}
    assert rows.get(pk=custom_zero).weights == {**OLD, "diversity": 0.0}

    back = migrate(BEFORE).get_model("inference", "ActiveLearningSettings").objects
    assert back.get(pk=untouched).weights == OLD
    assert back.get(pk=chosen).weights == {**OLD, "temporal": 2.0}
