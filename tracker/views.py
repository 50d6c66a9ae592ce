"""Views of the site as a whole: the health endpoint and the error pages."""

import sys

from django.db import DatabaseError, InterfaceError, OperationalError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.defaults import server_error as django_server_error


@never_cache
def health(request: HttpRequest) -> JsonResponse:
    """Whether this web server can serve: 200 when the database answers, 503 when not.

    For load balancers and monitoring. The background queue is reported but never makes the web
    server unhealthy: a stopped task worker delays reports, it does not stop reporting.
    """
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return JsonResponse({"status": "unavailable", "database": "unreachable"}, status=503)
    from django_tasks_db.models import DBTaskResult

    queued = DBTaskResult.objects.ready().order_by("enqueued_at").values_list("enqueued_at", flat=True)
    oldest = queued.first()
    return JsonResponse(
        {
            "status": "ok",
            "database": "ok",
            "tasks_waiting": queued.count(),
            "oldest_task_waiting_seconds": round((timezone.now() - oldest).total_seconds()) if oldest else 0,
        }
    )


def server_error(request: HttpRequest) -> HttpResponse:
    """Django's error page, or when the database is out of reach a page that says so (503).

    A request that fails this way has saved nothing: each write runs in one transaction.
    """
    error = sys.exc_info()[1]
    if isinstance(error, OperationalError | InterfaceError):
        # Rendered without the site's base template: its menu would ask the database again.
        body = loader.render_to_string("database_unavailable.html")
        return HttpResponse(body, status=503, headers={"Retry-After": "30"})
    return django_server_error(request)
