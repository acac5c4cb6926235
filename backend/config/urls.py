from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from backend.accounts import admin_views
from backend.accounts import views as accounts
from backend.accounts.admin_login import admin_login
from backend.common.spa import spa_index
from backend.projects import invitation_views as invites
from backend.projects import views as projects
from backend.videos import views as videos

api = [
    path("auth/me/", accounts.MeView.as_view()),
    path("auth/login/", accounts.LoginView.as_view()),
    path("auth/logout/", accounts.LogoutView.as_view()),
    path("auth/token/", accounts.TokenView.as_view()),
    path("projects/", projects.ProjectListView.as_view()),
    path("projects/<int:project_id>/", projects.ProjectDetailView.as_view()),
    path("projects/<int:project_id>/members/", projects.MemberListView.as_view()),
    path("projects/<int:project_id>/members/<int:member_id>/", projects.MemberDetailView.as_view()),
    path("projects/<int:project_id>/member-candidates/", projects.MemberCandidatesView.as_view()),
    path("projects/<int:project_id>/invitations/", invites.InvitationListView.as_view()),
    path(
        "projects/<int:project_id>/invitations/<int:invitation_id>/",
        invites.InvitationDetailView.as_view(),
    ),
    path("invitations/<str:token>/", invites.InvitePreviewView.as_view()),
    path("invitations/<str:token>/accept/", invites.InviteAcceptView.as_view()),
    path("admin/users/", admin_views.AdminUserListView.as_view()),
    path("admin/users/<int:user_id>/", admin_views.AdminUserDetailView.as_view()),
    path("admin/users/<int:user_id>/password/", admin_views.AdminUserPasswordView.as_view()),
    path("projects/<int:project_id>/skeleton/", projects.SkeletonView.as_view()),
    path("projects/<int:project_id>/videos/", videos.VideoListView.as_view()),
    path("videos/<int:video_id>/", videos.VideoDetailView.as_view()),
    path("videos/<int:video_id>/thumbnail.jpg", videos.ThumbnailView.as_view()),
    path("videos/<int:video_id>/frames/<int:index>.jpg", videos.FrameImageView.as_view()),
    path("", include("backend.labels.urls")),
    path("", include("backend.training.urls")),
    path("", include("backend.inference.urls")),
    path("", include("backend.interchange.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
]

urlpatterns = [
    path("api/", include(api)),
    # The SPA's site-admin page shares the /admin/ prefix with Django's admin.
    re_path(r"^admin/users/?$", spa_index),
    # Django's admin sign-in, behind the same throttle and lockouts as the API login.
    path("admin/login/", admin_login),
    path("admin/", admin.site.urls),
    # Every other path belongs to the single-page app (client-side routing).
    re_path(r"^(?!api/|admin/|static/).*$", spa_index),
]
