"""Every feature module, imported once so each registers its commands and flows.

The order of this list is the order of the menu. A module under handlers/ that registers a
command, flow or fallback must be listed here (tests/core/test_features.py checks it).
"""

import importlib

FEATURES = (
    "handlers.membership",
    "handlers.profile",
    "handlers.optout",
    "handlers.account",
    "handlers.mydata",
    "handlers.catalogue.posting",
    "handlers.catalogue.manage",
    "handlers.catalogue.editing",
    "handlers.catalogue.browse",
    "handlers.catalogue.moderation",
    "handlers.catalogue.assisted",
    "handlers.catalogue.questions",
    "handlers.promotion.recommend",
    "handlers.promotion.share",
    "handlers.promotion.buddies",
    "handlers.promotion.reputation",
    "handlers.digest",
    "handlers.events.create",
    "handlers.events.rsvp",
    "handlers.events.manage",
    "handlers.events.reminders",
    "handlers.events.calendar",
    "handlers.events.titip",
    "handlers.announce.command",
    "handlers.report",
    "handlers.community_settings",
    "handlers.public_catalogue",
    "handlers.poster",
    "handlers.dashboard_login",
    "handlers.statistics",
    "handlers.groups",
    "handlers.smalltalk",
)

for _name in FEATURES:
    importlib.import_module(_name)
