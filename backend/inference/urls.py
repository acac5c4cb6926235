from django.urls import path

from backend.inference import proofread_views, views

run = "inference-runs/<int:run_id>"
suggestion = "suggestions/<int:suggestion_id>"
urlpatterns = [
    path("projects/<int:project_id>/inference-runs/", views.InferenceRunListView.as_view()),
    path(f"{run}/", views.InferenceRunDetailView.as_view()),
    path(f"{run}/cancel/", views.InferenceRunCancelView.as_view()),
    path(f"{run}/predictions/", views.InferenceRunPredictionsView.as_view()),
    path(f"{run}/export/<str:fmt>/", views.InferenceRunExportView.as_view()),
    path(f"{run}/retrain/", views.InferenceRunRetrainView.as_view()),
    path(f"{run}/retrack/", views.InferenceRunRetrackView.as_view()),
    path(f"{run}/tracks/", proofread_views.TracksTimelineView.as_view()),
    path(f"{run}/tracks/edits/", proofread_views.TrackEditsView.as_view()),
    path(f"{run}/tracks/undo/", proofread_views.TrackUndoView.as_view()),
    path(f"{run}/tracks/locks/", proofread_views.TrackLockView.as_view()),
    path(f"{run}/tracks/accept/", proofread_views.TrackAcceptView.as_view()),
    path(
        "videos/<int:video_id>/predictions/<int:frame_index>/",
        views.VideoFramePredictionView.as_view(),
    ),
    path("projects/<int:project_id>/suggestions/", views.SuggestionListView.as_view()),
    path(f"{suggestion}/accept/", views.SuggestionAcceptView.as_view()),
    path(f"{suggestion}/dismiss/", views.SuggestionDismissView.as_view()),
    path(f"{suggestion}/assign/", views.SuggestionAssignView.as_view()),
    path(
        "projects/<int:project_id>/active-learning-settings/",
        views.ActiveLearningSettingsView.as_view(),
    ),
]
