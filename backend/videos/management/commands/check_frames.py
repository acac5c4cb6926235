"""``manage.py check_frames [--project ID] [--video ID] [--flag]``: find work done on wrong frames.

Older PoseForge versions decoded some frames wrongly when asked for one frame
alone (solid green for x264 < 151 4:4:4 videos, a neighbouring frame for AVI
files with B-frames). For every video this builds the frame index if missing,
deletes frame JPEGs cached by older versions, and lists the labeled frames,
label snapshots and suggestions whose frame the old reader got wrong (see
``backend.videos.frame_check``). ``--flag`` sends those labeled frames back for
re-review with a comment; snapshots and suggestions are only listed.
Read-only without ``--flag`` (apart from the cache). See docs/operations.md.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from backend.videos import frame_check
from backend.videos.models import Video
from backend.videos.services import frame_cache_purge_stale


class Command(BaseCommand):
    help = "List labels, snapshots and suggestions made from wrongly decoded frames."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--project", type=int, help="only this project's videos")
        parser.add_argument("--video", type=int, help="only this video")
        parser.add_argument(
            "--flag", action="store_true", help="send affected labeled frames back for re-review"
        )

    def handle(self, *args, project: int | None, video: int | None, flag: bool, **options) -> None:
        videos = Video.objects.exclude(status=Video.Status.FAILED).order_by("id")
        if project is not None:
            videos = videos.filter(project_id=project)
        if video is not None:
            videos = videos.filter(pk=video)
        bad_total = flagged = purged = 0
        for row in videos:
            purged += frame_cache_purge_stale(video=row)
            bad = frame_check.video_frames_check(video=row)
            for item in bad:
                self.stdout.write(
                    f"video {row.id} {row.name!r} frame {item.frame_index}: {item.reason}; "
                    f"used by {', '.join(item.uses)}"
                )
            if flag and bad:
                flagged += frame_check.labeled_frames_flag(
                    video=row, indices=[item.frame_index for item in bad]
                )
            bad_total += len(bad)
        self.stdout.write(
            f"Checked {videos.count()} videos: {bad_total} frames in use were decoded wrongly before, "
            f"{flagged} labeled frames flagged for re-review, {purged} stale cached frames deleted."
        )
