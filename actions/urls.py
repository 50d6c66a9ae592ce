from django.urls import path

from actions import (
    account_views,
    evidence_views,
    notification_views,
    people_views,
    reading_views,
    reporting_views,
    reporting_workbook_views,
    review_views,
    translation_views,
)

app_name = "actions"

urlpatterns = [
    path("", reading_views.home, name="home"),
    path("activities/", reading_views.item_list, name="item_list"),
    path("instruments/<slug:slug>/", reading_views.instrument_detail, name="instrument"),
    path("instruments/<slug:instrument>/<str:slug>/", reading_views.item_detail, name="item"),
    # Reporting progress
    path("reporting/", reporting_views.my_reporting, name="my_reporting"),
    path("reporting/<str:unit>/<slug:instrument>/<str:slug>/new/", reporting_views.update_new, name="update_new"),
    path("updates/<int:pk>/", reporting_views.update_detail, name="update"),
    path("updates/<int:pk>/edit/", reporting_views.update_edit, name="update_edit"),
    path("updates/<int:pk>/submit/", reporting_views.update_submit, name="update_submit"),
    path("updates/<int:pk>/delete/", reporting_views.update_delete, name="update_delete"),
    path("updates/<int:pk>/revise/", reporting_views.update_revise, name="update_revise"),
    path("updates/<int:pk>/review/", review_views.update_review, name="update_review"),
    path("updates/<int:pk>/comments/", review_views.comment_add, name="comment_add"),
    path("evidence/<int:pk>/", reporting_views.evidence_download, name="evidence"),
    path("evidence/<int:pk>/view/", evidence_views.evidence_inline, name="evidence_inline"),
    path("review/", review_views.review_queue, name="review_queue"),
    # The offline Excel round trip
    path("reporting/<str:unit>/workbook/", reporting_workbook_views.workbook_download, name="workbook_download"),
    path("reporting/<str:unit>/workbook/upload/", reporting_workbook_views.workbook_upload, name="workbook_upload"),
    path("reporting/<str:unit>/workbook/confirm/", reporting_workbook_views.workbook_confirm, name="workbook_confirm"),
    # The texts in every language
    path("texts/", translation_views.translations, name="translations"),
    path("texts/<str:language>.xlsx", translation_views.translations_download, name="translations_download"),
    # People
    path("people/", people_views.people, name="people"),
    path("accounts/invitation/<str:token>/", people_views.invitation_accept, name="invitation_accept"),
    path("welcome/", account_views.landing, name="landing"),
    # Each person's own notifications and profile
    path("inbox/", notification_views.inbox, name="inbox"),
    path("inbox/read/", notification_views.inbox_read_all, name="inbox_read_all"),
    path("inbox/<int:pk>/", notification_views.inbox_open, name="inbox_open"),
    path("profile/", notification_views.profile, name="profile"),
]
