from django.urls import path

from backend.labels import views

frame = "videos/<int:video_id>/frames/<int:index>"
urlpatterns = [
    path("videos/<int:video_id>/labeled-frames/", views.LabeledFrameListView.as_view()),
    path(f"{frame}/labels/", views.FrameLabelsView.as_view()),
    path(f"{frame}/history/", views.FrameHistoryView.as_view()),
    path(f"{frame}/lock/", views.FrameLockView.as_view()),
    path(f"{frame}/submit/", views.FrameSubmitView.as_view()),
    path(f"{frame}/review/", views.FrameReviewView.as_view()),
    path(f"{frame}/comments/", views.FrameCommentsView.as_view()),
    path("videos/<int:video_id>/pick-frames/", views.PickFramesView.as_view()),
    path("pick-jobs/<int:job_id>/", views.PickJobView.as_view()),
    path("projects/<int:project_id>/next-frame/", views.NextFrameView.as_view()),
    path("projects/<int:project_id>/presence/", views.PresenceView.as_view()),
    path("projects/<int:project_id>/review-queue/", views.ReviewQueueView.as_view()),
    path("projects/<int:project_id>/my-frames/", views.MyFramesView.as_view()),
    path("projects/<int:project_id>/dashboard/", views.DashboardView.as_view()),
]
