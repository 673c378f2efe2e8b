"""Every feature module, imported once so each registers its commands and flows.

The order of this list is the order of the menu.
"""

import importlib

FEATURES = (
    "handlers.membership",
    "handlers.profile",
    "handlers.optout",
    "handlers.account",
)

for _name in FEATURES:
    importlib.import_module(_name)
