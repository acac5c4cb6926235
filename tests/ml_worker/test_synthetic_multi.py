"""The multi-animal synthetic video: rendered frames, exact poses, occlusion flags."""

from __future__ import annotations

import av
import numpy as np

from ml_worker.synthetic_multi import animal_pose, occlusion, write_multi_video


def test_the_video_has_one_frame_per_pose_row_and_identities_by_column(tmp_path):
    video = write_multi_video(tmp_path / "m.mp4", n_frames=8, n_animals=3, width=160,
                              height=120)
    with av.open(str(video.path)) as container:
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    assert len(frames) == 8 and frames[0].shape == (120, 160, 3)
    assert video.points.shape == (8, 3, 6, 2) and video.visibility.shape == (8, 3, 6)
    assert (video.identities == [0, 1, 2]).all()


def test_a_body_drawn_on_top_hides_the_nodes_under_it_and_not_its_own():
    pose = animal_pose(100, 100, 0.0, 0.0, 1.0)
    far = animal_pose(300, 300, 0.0, 0.0, 1.0)
    pts = np.stack([pose, pose + [2, 0], far])[None]  # animal 1 lies on animal 0
    vis = occlusion(pts, 1.0)[0]
    assert (vis[0, [0, 3, 4]] == 1).all()  # snout, neck and tail base under animal 1
    assert (vis[1] == 2).all() and (vis[2] == 2).all()
