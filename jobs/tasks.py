"""The one django-tasks task: it runs the handler a job names (jobs.core)."""

from typing import Any

from django_tasks import task

from jobs import core


@task()
def run_job(name: str, kwargs: dict[str, Any], attempt: int) -> None:
    core.run(name=name, kwargs=kwargs, attempt=attempt)
