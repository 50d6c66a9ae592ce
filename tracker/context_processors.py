from django.conf import settings
from django.urls import translate_url
from django.utils.functional import SimpleLazyObject
from django.utils.translation import get_language

from actions import counts


def languages(request):
    """The current page in each language, for the language switcher."""
    path = request.get_full_path()
    current = get_language()
    return {
        "language_links": [
            {"code": code, "name": name, "url": translate_url(path, code), "current": code == current}
            for code, name in settings.LANGUAGES
        ]
    }


def menu_counts(request):
    """What waits for the person signed in (actions.counts), counted only if a page shows the menu."""
    # A page refused before the authentication middleware ran (tracker.middleware) has no user.
    return {"menu_counts": SimpleLazyObject(lambda: counts.menu_counts_of(request))}
