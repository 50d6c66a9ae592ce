from django_tasks import task

from reports.services import report_generate


@task()
def generate_report(report_id: int) -> None:
    """Generate a meeting report in the background (`manage.py db_worker` runs the queue)."""
    report_generate(report_id=report_id)
