from django.urls import path

from backend.interchange import views

urlpatterns = [
    path("imports/", views.ImportView.as_view()),
    path("interchange/formats/", views.FormatListView.as_view()),
    path("projects/<int:project_id>/exports/", views.ExportView.as_view()),
    path("import-export-jobs/<int:job_id>/", views.JobDetailView.as_view()),
    path("import-export-jobs/<int:job_id>/download", views.JobDownloadView.as_view()),
]
