from django.urls import path

from backend.training import pretrain_views, views

urlpatterns = [
    path("training-presets/", views.TrainingPresetsView.as_view()),
    path("projects/<int:project_id>/training-jobs/", views.TrainingJobListView.as_view()),
    path("training-jobs/<int:job_id>/", views.TrainingJobDetailView.as_view()),
    path("training-jobs/<int:job_id>/cancel/", views.TrainingJobCancelView.as_view()),
    path("projects/<int:project_id>/pretrain-jobs/", pretrain_views.PretrainJobListView.as_view()),
    path("pretrain-jobs/<int:job_id>/cancel/", pretrain_views.PretrainJobCancelView.as_view()),
    path("projects/<int:project_id>/model-versions/", views.ModelVersionListView.as_view()),
    path("projects/<int:project_id>/test-set/", views.TestSetView.as_view()),
    path(
        "projects/<int:project_id>/test-set/frames/<int:frame_id>/",
        views.TestSetFrameView.as_view(),
    ),
    path("model-versions/<int:version_id>/", views.ModelVersionDetailView.as_view()),
    path("model-versions/<int:version_id>/download/", views.ModelVersionDownloadView.as_view()),
]
