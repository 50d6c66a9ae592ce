from django.urls import path

from reports import views

app_name = "open_data"

# Files, at addresses that do not depend on the language: /open-data/activities.json.
urlpatterns = [
    path("activities.json", views.activities_json, name="activities_json"),
    path("activities.csv", views.activities_csv, name="activities_csv"),
    path("activities.xlsx", views.activities_xlsx, name="activities_xlsx"),
    path("activities-excel.csv", views.activities_excel_csv, name="activities_excel_csv"),
    path("datapackage.json", views.activities_datapackage, name="datapackage"),
]
