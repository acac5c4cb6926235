"""Projects still on the old all-ones default weights move to the new default.

Only rows whose weights equal the old default exactly: a project that chose its
own weights keeps them.
"""

from django.db import migrations

OLD = dict.fromkeys(
    ("uncertainty", "disagreement", "temporal", "diversity", "instance_count", "swap_candidate",
     "identity_disagreement", "pose_outlier", "ensemble_disagreement"),
    1.0,
)
OFF = ("temporal", "diversity", "ensemble_disagreement")


def _is_old_default(weights: dict) -> bool:
    # Rows saved before a strategy existed lack its key; ranking gives it weight 1.
    return bool(weights) and all(float(weights.get(k, 1.0)) == 1.0 for k in OLD) and (
        set(weights) <= set(OLD)
    )


def forward(apps, schema_editor):
    settings = apps.get_model("inference", "ActiveLearningSettings")
    for row in settings.objects.all():
        if _is_old_default(row.weights):
            row.weights = {**OLD, **dict.fromkeys(OFF, 0.0)}
            row.save(update_fields=["weights"])


def backward(apps, schema_editor):
    settings = apps.get_model("inference", "ActiveLearningSettings")
    new = {**OLD, **dict.fromkeys(OFF, 0.0)}
    for row in settings.objects.all():
        if row.weights == new:
            row.weights = dict(OLD)
            row.save(update_fields=["weights"])


class Migration(migrations.Migration):

    dependencies = [
        ("inference", "0004_al_selection"),
    ]

    operations = [migrations.RunPython(forward, backward)]
