"""XSS payloads in every user-controlled field never execute in headless Chromium (issue 7.6).

Project name and description, skeleton node names, track names and review comments
hold HTML/JS payloads. The pages that show them are opened in Chromium; any request
to the probe URL (an injected <img>/<script> would fetch it: img-src 'self' allows it,
so this catches HTML injection even where CSP would stop script) or any dialog is a
failure, and the payload text must render literally where the page shows the field.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import login
from tests.reliability.conftest import record

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def payload(n: int) -> str:
    return f"<img src=/xss-probe/{n} onerror=alert({n})>"


def test_xss_payloads_render_literally_and_never_run(new_page, project, video, alice, bob, rita):
    from backend.labels import review
    from backend.labels.services import labels_save
    from backend.projects.services import skeleton_to_dict, skeleton_update
    from backend.videos.services import video_process

    project.name, project.description = payload(1), payload(2) + "<script>alert(2)</script>"
    project.save()
    skeleton = skeleton_to_dict(project)
    for i, node in enumerate(skeleton["nodes"]):
        node["name"] = payload(10 + i)
    skeleton_update(project=project, data=skeleton)
    video_process(video_id=video.id)
    nodes = list(project.nodes.values_list("id", flat=True))
    points = [
        {"node": n, "x": 20.0 + 10 * i, "y": 30.0, "visibility": 2} for i, n in enumerate(nodes)
    ]
    labels_save(video=video, frame_index=4, user=bob, version=0,
                instances=[{"track": payload(20), "points": points}])  # fmt: skip
    review.frame_submit(video=video, frame_index=4, user=bob)
    review.frame_review(video=video, frame_index=4, user=rita, decision="reject",
                        comment=payload(30) + " fix the ears")  # fmt: skip

    page = new_page()
    probes, dialogs = [], []
    page.on("request", lambda r: probes.append(r.url) if "xss-probe" in r.url else None)
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    login(page, "bob", "bob-password-1")
    page.goto("/")
    expect(page.get_by_text(payload(1)).first).to_be_visible()
    page.goto(f"/projects/{project.id}")
    expect(page.get_by_text(payload(1)).first).to_be_visible()
    expect(page.get_by_text(payload(2), exact=False).first).to_be_visible()
    page.goto(f"/projects/{project.id}/videos/{video.id}/label?frame=4")
    expect(page.get_by_test_id("frame-counter")).to_be_visible()
    expect(page.get_by_text(payload(10)).first).to_be_visible()
    shown = page.get_by_text(payload(30), exact=False)
    page.wait_for_timeout(500)
    comment_literal = shown.count() > 0
    rita_page = new_page()
    rita_page.on("request", lambda r: probes.append(r.url) if "xss-probe" in r.url else None)
    rita_page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    login(rita_page, "rita", "rita-password-1")
    for url in (f"/projects/{project.id}/review", f"/projects/{project.id}/team",
                f"/projects/{project.id}/videos/{video.id}/label?frame=4"):  # fmt: skip
        rita_page.goto(url)
        rita_page.wait_for_timeout(800)
    injected = page.locator("img[src^='/xss-probe']").count()
    injected += rita_page.locator("img[src^='/xss-probe']").count()
    record(xss_payload_fields=5, xss_executed=len(probes) + len(dialogs), xss_injected=injected,
           xss_comment_rendered_literally=comment_literal)  # fmt: skip
    assert not probes, probes
    assert not dialogs, dialogs
    assert injected == 0
