"""Every feature module, imported once so each registers its commands and flows.

The order of this list is the order of the menu.
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
    "handlers.catalogue.browse",
    "handlers.catalogue.moderation",
    "handlers.catalogue.assisted",
    "handlers.report",
    "handlers.groups",
)

for _name in FEATURES:
    importlib.import_module(_name)
