from django.urls import path

from reports import views

app_name = "reports"

# Pages, under the language prefix.
urlpatterns = [
    path("open-data/", views.open_data, name="open_data"),
    path("meeting-reports/", views.meeting_reports, name="meeting_reports"),
    path("meeting-reports/<int:pk>/", views.meeting_report, name="report"),
    path("meeting-reports/<int:pk>/file/", views.meeting_report_file, name="report_file"),
]
