"""One place lists the features; command declarations say only what differs from the defaults."""

import importlib
import pkgutil
from collections.abc import Sequence

import pytest

import handlers
from handlers.context import Context
from handlers.features import FEATURES
from handlers.messages import Incoming, Reply
from handlers.registry import REGISTRY, Registry


def _every_handlers_module() -> list[str]:
    """Every module of the handlers package, imported (importing registers what it declares)."""
    found = pkgutil.walk_packages(handlers.__path__, prefix="handlers.")
    names = [info.name for info in found]
    for name in names:
        importlib.import_module(name)
    return names


def test_every_module_that_registers_something_is_a_listed_feature() -> None:
    modules = _every_handlers_module()
    registered = {
        **{f"command {c.key}": c.handler.__module__ for c in REGISTRY.commands},
        **{f"flow {name}": _flow_module(h) for name, h in REGISTRY.flows.items()},
        **{f"fallback {h.__qualname__}": h.__module__ for _, h in REGISTRY.fallbacks},
    }
    unlisted = {what: module for what, module in registered.items() if module not in FEATURES}
    assert not unlisted, f"add these modules to handlers/features.py FEATURES: {unlisted}"
    assert set(FEATURES) <= set(modules), "FEATURES names a module that does not exist"
    assert len(set(FEATURES)) == len(FEATURES), "a feature is listed twice"


async def _noop(msg: Incoming, ctx: Context, rest: str) -> Sequence[Reply]:
    return []


def test_command_defaults_bare_words_and_menu_line() -> None:
    registry = Registry()
    registry.command("sell", slash=("Jual", "sell"))(_noop)
    registry.command("sold_out", slash=("habis",), bare=(), listed=False)(_noop)
    registry.command("stop", slash=("berhenti",), bare=("berhenti", "unsubscribe"))(_noop)
    sell, sold_out, stop = registry.commands
    assert (sell.slash, sell.bare, sell.help_key) == (
        ("jual", "sell"),
        ("jual", "sell"),
        "menu.line.sell",
    )
    assert (sold_out.bare, sold_out.help_key) == ((), None)
    assert stop.bare == ("berhenti", "unsubscribe")
    assert registry.find("JUAL", slash=False) is sell
    assert registry.find("habis", slash=False) is None
    assert registry.find("habis", slash=True) is sold_out


def test_a_command_name_cannot_be_taken_twice() -> None:
    registry = Registry()
    registry.command("sell", slash=("jual",))(_noop)
    with pytest.raises(ValueError, match="clashes with 'sell'"):
        registry.command("sell_again", slash=("jualan",), bare=("jual",))(_noop)


def _flow_module(handler: object) -> str:
    """A `Flow` registers its own `handle`; the feature is the module declaring its data."""
    flow = getattr(handler, "__self__", None)
    if flow is not None and hasattr(flow, "data_type"):
        return str(flow.data_type.__module__)
    return str(getattr(handler, "__module__", ""))
