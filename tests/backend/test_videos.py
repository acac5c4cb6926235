import io

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from backend.common import storage
from backend.videos import media
from backend.videos.models import Video

pytestmark = [pytest.mark.django_db, pytest.mark.media]


def _upload(client, project, name, content):
    return client.post(
        f"/api/projects/{project.id}/videos/",
        {"file": SimpleUploadedFile(name, content, content_type="video/mp4")},
        format="multipart",
    )


def test_upload_is_probed_and_processed(
    client_for, project, alice, synthetic_video_file, django_capture_on_commit_callbacks
):
    path, _ = synthetic_video_file
    with django_capture_on_commit_callbacks(execute=True):
        response = _upload(client_for(alice), project, "mouse.mp4", path.read_bytes())
    assert response.status_code == 201, response.json()
    data = response.json()
    assert (data["width"], data["height"], data["frame_count"], data["codec"]) == (
        160,
        120,
        60,
        "h264",
    )
    assert data["fps"] == pytest.approx(30)
    # the processing task ran (eagerly here; tests/backend/test_worker_integration.py runs a real worker)
    video = client_for(alice).get(f"/api/videos/{data['id']}/").json()
    assert video["status"] == "ready"
    assert video["thumbnail_url"]


@pytest.mark.parametrize(
    "name,content,message",
    [
        ("notes.mp4", b"this is not a video at all" * 100, "not a video"),
        ("empty.mp4", b"", "empty"),
        ("virus.exe", b"MZ" + b"\0" * 100, "not a supported video"),
    ],
)
def test_bad_uploads_get_a_clear_400(client_for, project, alice, name, content, message, settings):
    response = _upload(client_for(alice), project, name, content)
    assert response.status_code == 400
    assert message in response.json()["message"]
    assert not Video.objects.exists()
    assert storage.list_keys(f"projects/{project.id}") == []


def test_truncated_video_is_refused(client_for, project, alice, synthetic_video_file):
    path, _ = synthetic_video_file
    response = _upload(client_for(alice), project, "cut.mp4", path.read_bytes()[:2000])
    assert response.status_code == 400


def test_upload_over_the_size_limit_is_refused(
    client_for, project, alice, settings, synthetic_video_file
):
    settings.MAX_VIDEO_UPLOAD_MB = 0
    path, _ = synthetic_video_file
    response = _upload(client_for(alice), project, "big.mp4", path.read_bytes())
    assert response.status_code == 400
    assert "limit" in response.json()["message"]


def test_annotator_cannot_upload(client_for, project, bob, synthetic_video_file):
    path, _ = synthetic_video_file
    assert _upload(client_for(bob), project, "m.mp4", path.read_bytes()).status_code == 403


def test_frame_image_is_decoded_cached_and_etagged(client_for, video, vic, synthetic_video_file):
    client = client_for(vic)
    response = client.get(f"/api/videos/{video.id}/frames/17.jpg")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert "max-age" in response["Cache-Control"]
    image = Image.open(io.BytesIO(b"".join(response.streaming_content)))
    assert image.size == (160, 120)
    again = client.get(f"/api/videos/{video.id}/frames/17.jpg", HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304


def test_frame_out_of_range_is_404(client_for, video, alice):
    response = client_for(alice).get(f"/api/videos/{video.id}/frames/60.jpg")
    assert response.status_code == 404
    assert "out of range" in response.json()["message"]


def test_outsider_cannot_see_frames(client_for, video, eve):
    assert client_for(eve).get(f"/api/videos/{video.id}/frames/0.jpg").status_code == 404
    assert client_for(eve).get(f"/api/videos/{video.id}/").status_code == 404


def test_random_access_matches_sequential_decode(synthetic_video_file):
    path, _ = synthetic_video_file
    sequential = dict(media.iter_frames(path))
    for index in [0, 1, 29, 30, 31, 45, 59]:
        assert np.array_equal(media.read_frame(path, index), sequential[index]), index


def test_synthetic_keypoints_lie_on_the_animal(synthetic_video_file):
    path, video = synthetic_video_file
    frame = media.read_frame(path, 10).astype(float)
    x, y = video.keypoints[10][3]  # neck: on the dark body
    assert frame[int(round(y)), int(round(x))].mean() < 90
    assert frame.mean() > 110  # the floor is bright
