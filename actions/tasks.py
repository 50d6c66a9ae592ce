from django_tasks import task

from actions import notifications


# Before any queued meeting report (priority 0): an e-mail takes a second, a report minutes.
@task(priority=50)
def send_notifications() -> int:
    """E-mail the notifications waiting to go out at once (`manage.py db_worker` runs the queue).

    Queued when a workflow step commits. It sends whatever is ready, not only the step's own
    notifications, so a second run finds nothing left and sends nothing twice. When an e-mail
    fails, it queues itself again for when the first failed one may be retried (with a backend
    that can wait; otherwise manage.py send_digests tries again). Returns the e-mails sent.
    """
    outcome = notifications.send_immediate()
    if outcome.retry_at is not None and send_notifications.get_backend().supports_defer:
        send_notifications.using(run_after=outcome.retry_at).enqueue()
    return len(outcome.sent)
