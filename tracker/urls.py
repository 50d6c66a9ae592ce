from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.contrib.auth.views import LoginView
from django.urls import include, path

from actions.forms import AdminSignInForm, SignInForm
from tracker import views

# Both sign-in pages hold the user name to its column (actions.forms.BoundedUserName).
admin.site.login_form = AdminSignInForm

urlpatterns = [
    path("health/", views.health, name="health"),
    path("open-data/", include("reports.data_urls")),
]

# The language is the first part of every page's address: /kk/activities/.
urlpatterns += i18n_patterns(
    path("admin/", admin.site.urls),
    path("accounts/login/", LoginView.as_view(authentication_form=SignInForm), name="login"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("reports.urls")),
    path("", include("actions.urls")),
)

handler500 = "tracker.views.server_error"
