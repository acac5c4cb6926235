import pytest

from backend.labels.services import labels_save


@pytest.fixture
def labeled_video(project, video, synthetic_video_file, alice):
    """The fixture video with 12 frames labeled from the synthetic ground truth."""
    _, truth = synthetic_video_file
    nodes = list(project.nodes.order_by("position"))
    for index in range(0, 60, 5):
        points = [
            {"node": node.id, "x": float(x), "y": float(y), "visibility": 2}
            for node, (x, y) in zip(nodes, truth.keypoints[index][[0, 1, 2]], strict=True)
        ]
        labels_save(
            video=video, frame_index=index, user=alice, version=0, instances=[{"points": points}]
        )
    return video
