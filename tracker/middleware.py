"""Refuse, before any view runs, what no page of the tracker can take.

PostgreSQL refuses a NUL character in any text, so a NUL in an address, a form, a cookie (the
session key is looked up) or a header (django-axes records the browser's User-Agent and Accept of
each sign-in) that reached a query would end in a server error; no code, key, slug or token the
tracker uses holds a control character or is longer than `MAX_SEGMENT` characters. One check here
stands for every view, on every database.
"""

import re

from django.http import HttpRequest, HttpResponse
from django.middleware.gzip import GZipMiddleware
from django.views import defaults

# The longest path segment any URL of the tracker can name. The longest keys an address carries
# are 80 characters (an item's slug, an agency's key), an invitation token 64; 200 leaves room for
# any of them and for a password-reset link's two parts, and still refuses a pasted paragraph
# before it reaches a query (tracker/tests/test_fuzz.py checks it against the models' columns).
MAX_SEGMENT = 200
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _has_nul(values) -> bool:
    return any("\x00" in key or any("\x00" in value for value in values.getlist(key)) for key in values)


def _nul_in_headers_or_cookies(request: HttpRequest) -> bool:
    headers = (value for key, value in request.META.items() if key.startswith("HTTP_") and isinstance(value, str))
    return any("\x00" in value for value in headers) or any(
        "\x00" in name or "\x00" in value for name, value in request.COOKIES.items()
    )


class HostileInputMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path
        if CONTROL.search(path) or any(len(segment) > MAX_SEGMENT for segment in path.split("/")):
            # Nothing can be found at such an address.
            return defaults.page_not_found(request, exception=None)
        if (
            _nul_in_headers_or_cookies(request)
            or _has_nul(request.GET)
            or (request.method == "POST" and _has_nul(request.POST))
        ):
            return defaults.bad_request(request, exception=None)
        return self.get_response(request)


class TextCompressionMiddleware(GZipMiddleware):
    """Gzip for the pages and text downloads (HTML, CSV, JSON, SVG), not for what is compressed
    already (PDF, workbooks, images): a regional dashboard of 600 KB travels as about 40 KB.

    Against BREACH, which reads secrets out of the compressed size of pages that also reflect
    what an attacker sends, Django's precautions hold: every CSRF token in a page is masked afresh
    for each response, and the gzip header carries up to 100 random bytes, so the size of two
    responses to the same request differs (docs/deployment.md, "Compression").
    """

    COMPRESSED_TYPES = ("text/", "application/json", "image/svg+xml", "application/javascript")

    def process_response(self, request, response):
        content_type = response.get("Content-Type", "")
        if not content_type.startswith(self.COMPRESSED_TYPES):
            return response
        return super().process_response(request, response)
