"""Every feature's scheduled jobs, imported once so each appends its factory."""

import importlib

JOB_MODULES: tuple[str, ...] = (
    "jobs.stale_products",
    "jobs.recommendation_notices",
    "jobs.buddies",
    "jobs.event_reminders",
    "jobs.digest",
    "jobs.announcements",
)

for _name in JOB_MODULES:
    importlib.import_module(_name)
