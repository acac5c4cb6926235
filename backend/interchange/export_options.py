"""What an export includes and how it names its author.

Which labels: by default the ones a reviewer has accepted or that wait for review
(approved + submitted); frames still being worked on or sent back (in progress,
rejected) only when asked for, because a training set built from an export should
not silently contain half-finished or refused labels.

Who labeled: DeepLabCut files carry a scorer (``CollectedData_<scorer>.csv``) and a
project date. An imported project keeps the ones it came with (``ProjectOrigin``);
any other project uses the exporting user's name and the project's creation date.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from backend.common.exceptions import ApplicationError
from backend.interchange.formats.dlc import DEFAULT_SCORER, dlc_date
from backend.interchange.models import ProjectOrigin
from backend.labels.models import LabeledFrame
from backend.projects.models import Project

Status = LabeledFrame.Status

LABEL_SETS: dict[str, tuple[str, ...]] = {
    "approved_submitted": (Status.APPROVED, Status.SUBMITTED),
    "approved": (Status.APPROVED,),
    "all": (Status.APPROVED, Status.SUBMITTED, Status.IN_PROGRESS, Status.REJECTED),
}
DEFAULT_LABEL_SET = "approved_submitted"


def label_statuses(labels: str) -> tuple[str, ...]:
    """The frame statuses an export with ``labels`` includes (a 400 for an unknown name)."""
    try:
        return LABEL_SETS[labels]
    except KeyError:
        known = ", ".join(LABEL_SETS)
        raise ApplicationError(
            f"Unknown label selection {labels!r} (use one of: {known})."
        ) from None


@dataclass(frozen=True)
class Identity:
    scorer: str
    task: str
    date: str


def project_identity(*, project: Project, user: Any = None) -> Identity:
    """Scorer, task and date to write: the imported ones, else the user's and the project's."""
    origin = ProjectOrigin.objects.filter(project=project).first()
    username = getattr(user, "username", "") or ""
    return Identity(
        scorer=(origin.scorer if origin else "") or username or DEFAULT_SCORER,
        task=(origin.task if origin else "") or project.name,
        date=(origin.date if origin else "") or dlc_date(project.created_at.date()),
    )
