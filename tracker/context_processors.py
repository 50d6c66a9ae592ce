from django.conf import settings
from django.urls import translate_url
from django.utils.translation import get_language


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
