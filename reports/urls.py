from django.urls import path

from reports import views

app_name = "reports"

# Pages, under the language prefix.
urlpatterns = [
    path("open-data/", views.open_data, name="open_data"),
    path("meeting-reports/", views.meeting_reports, name="meeting_reports"),
    path("meeting-reports/<int:pk>/", views.meeting_report, name="report"),
    path("meeting-reports/<int:pk>/file/", views.meeting_report_file, name="report_file"),
    path("dashboards/", views.dashboard_home, name="dashboards"),
    path("dashboards/region/", views.dashboard_region, name="dashboard_region"),
    path("dashboards/<str:code>/", views.dashboard_unit, name="dashboard_unit"),
    path("progress/", views.progress_list, name="progress"),
    path("progress/xlsx/", views.progress_xlsx, name="progress_xlsx"),
]
