from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class JobsConfig(AppConfig):
    name = "jobs"

    def ready(self) -> None:
        # Every app's `jobs.py` registers its handlers, in the web process (so `enqueue` can refuse
        # an unknown name at once) and in the worker (which runs them).
        autodiscover_modules("jobs")
