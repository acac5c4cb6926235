from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from backend.accounts import views as accounts
from backend.common.spa import spa_index
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
    path("admin/", admin.site.urls),
    # Every other path belongs to the single-page app (client-side routing).
    re_path(r"^(?!api/|admin/|static/).*$", spa_index),
]
