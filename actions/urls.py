from django.urls import path

from actions import views

app_name = "actions"

urlpatterns = [
    path("", views.home, name="home"),
    path("activities/", views.item_list, name="item_list"),
    path("instruments/<slug:slug>/", views.instrument_detail, name="instrument"),
    path("instruments/<slug:instrument>/<str:slug>/", views.item_detail, name="item"),
]
