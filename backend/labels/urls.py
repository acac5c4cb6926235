from django.urls import path

from backend.labels import views

urlpatterns = [
    path("videos/<int:video_id>/labeled-frames/", views.LabeledFrameListView.as_view()),
    path("videos/<int:video_id>/frames/<int:index>/labels/", views.FrameLabelsView.as_view()),
    path("videos/<int:video_id>/frames/<int:index>/history/", views.FrameHistoryView.as_view()),
]
