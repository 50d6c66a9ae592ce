from django.urls import path

from reports import views

app_name = "reports"

# Pages, under the language prefix.
urlpatterns = [
    path("open-data/", views.open_data, name="open_data"),
]
