"""Joining a lab from the browser: an owner's invite link and the site-admin page.

Two real browser contexts against the live server: the owner creates a link on
the Team page; a stranger (no account) opens it, creates an account and lands
in the project with the role the link carried. The outcome is checked in the
database, and a second use of the link is refused on screen.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from backend.projects.models import Invitation, Membership
from tests.e2e.conftest import login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_stranger_joins_by_invite_link(new_page, project, alice):
    owner = new_page()
    login(owner, "alice", "alice-password-1")
    owner.goto(f"/projects/{project.id}/team")
    owner.get_by_test_id("invite-role").select_option("reviewer")
    owner.get_by_test_id("invite-create").click()
    link = owner.get_by_test_id("invite-link").input_value()
    assert "/invite/" in link
    expect(owner.get_by_test_id("invites-pending")).to_contain_text("reviewer")

    stranger = new_page()
    stranger.goto(link)
    expect(stranger.get_by_test_id("invite-project")).to_have_text("Open field")
    expect(stranger.get_by_test_id("invite-role")).to_have_text("reviewer")
    stranger.fill("input[name=username]", "newton")
    stranger.fill("input[name=password]", "gravity-is-real-1")
    stranger.fill("input[name=password2]", "gravity-is-real-1")
    stranger.get_by_test_id("invite-signup-submit").click()
    stranger.wait_for_url(f"**/projects/{project.id}")
    expect(stranger.get_by_test_id("current-user")).to_have_text("newton")
    expect(stranger.get_by_test_id("link-review")).to_be_visible()  # reviewers see the queue

    newton = get_user_model().objects.get(username="newton")
    assert Membership.objects.get(project=project, user=newton).role == "reviewer"
    assert Invitation.objects.get().accepted_by == newton

    # The owner sees the new member; the link is used up for anyone else.
    owner.reload()
    expect(owner.get_by_test_id("member-newton")).to_contain_text("reviewer")
    expect(owner.get_by_test_id("invites-pending")).to_have_count(0)
    late = new_page()
    late.goto(link)
    expect(late.get_by_test_id("invite-error")).to_contain_text("no longer valid")
    expect(late.get_by_test_id("invite-signup")).to_have_count(0)


def test_site_admin_creates_an_account_from_the_browser(new_page, alice):
    get_user_model().objects.create_user(username="ada", password="ada-password-1", is_staff=True)
    plain = new_page()
    login(plain, "alice", "alice-password-1")
    expect(plain.get_by_test_id("link-admin-users")).to_have_count(0)

    admin = new_page()
    login(admin, "ada", "ada-password-1")
    admin.get_by_test_id("link-admin-users").click()
    admin.wait_for_url("**/admin/users")
    admin.fill("input[name=new-username]", "grace")
    admin.fill("input[name=new-password]", "compilers-rock-1")
    admin.get_by_test_id("admin-create-submit").click()
    expect(admin.get_by_test_id("admin-user-grace")).to_contain_text("grace")

    fresh = new_page()
    login(fresh, "grace", "compilers-rock-1")
    expect(fresh.get_by_test_id("current-user")).to_have_text("grace")
