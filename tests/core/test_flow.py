"""The Flow kit: typed data stored as JSON, named steps, and states that no longer fit."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, cast

import pytest
from sqlmodel import Session

from handlers.clock import ManualClock
from handlers.context import Context, Options
from handlers.flow import Flow
from handlers.messages import Channel, Incoming, Reply
from handlers.registry import Registry
from storage.models import ChannelIdentity, ConversationState
from tests.factories import Transcript

NOW = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


class Size(StrEnum):
    SMALL = "small"
    BIG = "big"


@dataclass
class Order:
    item: str
    size: Size | None = None
    count: int = 1


def _context() -> Context:
    identity = ChannelIdentity(id=1, channel="local", address="Siti", created_at=NOW)
    return Context(
        session=cast(Session, None),  # the kit never touches the database itself
        clock=ManualClock(NOW),
        options=Options(),
        identity=identity,
        state=ConversationState(identity_id=1, updated_at=NOW),
    )


def _message(text: str = "", payload: str | None = None) -> Incoming:
    return Incoming(
        channel=Channel.LOCAL,
        message_id="m1",
        address="Siti",
        display_name="Siti",
        received_at=NOW,
        text=text,
        payload=payload,
    )


def _order_flow() -> tuple[Registry, Flow[Order]]:
    registry = Registry()
    order = Flow("order", Order, registry=registry)

    @order.step("size")
    async def size(msg: Incoming, ctx: Context, data: Order) -> Sequence[Reply]:
        answer = order.answer(msg)
        data.size = answer.arg_as(Size) if answer else None
        if data.size is None:
            return [Reply("which size?")]
        order.start(ctx, "count", data)
        return [Reply(f"{data.item} {data.size}")]

    @order.step("count")
    async def count(msg: Incoming, ctx: Context, data: Order) -> Sequence[Reply]:
        data.count = int(msg.text)
        order.end(ctx)
        return [Reply(f"{data.count} x {data.item} {data.size}")]

    return registry, order


async def test_steps_run_in_turn_with_typed_data_stored_as_json() -> None:
    registry, order = _order_flow()
    ctx = _context()
    order.start(ctx, "size", Order("kopi"))
    assert (ctx.state.flow, ctx.state.step) == ("order", "size")
    assert ctx.state.data == {"item": "kopi", "size": None, "count": 1}

    handle = registry.flows["order"]
    assert [r.text for r in await handle(_message(payload="order:size:huge"), ctx)] == [
        "which size?"
    ]
    assert [r.text for r in await handle(_message(payload=order.payload("size", "big")), ctx)] == [
        "kopi big"
    ]
    assert ctx.state.data == {"item": "kopi", "size": "big", "count": 1}  # plain JSON
    assert order.load(ctx) == Order("kopi", Size.BIG)
    assert [r.text for r in await handle(_message("3"), ctx)] == ["3 x kopi big"]
    assert (ctx.state.flow, ctx.state.step, ctx.state.data) == (None, None, {})


@pytest.mark.parametrize(
    ("step", "data"),
    [
        ("size", {"product_id": 12}),  # a field the class does not have, one it needs missing
        ("size", {"item": "kopi", "size": "giant"}),  # a value the type refuses
        ("edit:price", {"item": "kopi"}),  # a step of an older version
        (None, {"item": "kopi"}),
    ],
)
async def test_a_stored_state_that_no_longer_fits_ends_the_flow_kindly(
    step: str | None, data: dict[str, Any]
) -> None:
    registry, _ = _order_flow()
    ctx = _context()
    ctx.state.flow, ctx.state.step, ctx.state.data = "order", step, data
    [reply] = await registry.flows["order"](_message("3"), ctx)
    assert "sudah tidak berlaku" in reply.text
    assert (ctx.state.flow, ctx.state.step, ctx.state.data) == (None, None, {})


def test_steps_are_declared_once_and_started_only_when_declared() -> None:
    registry, order = _order_flow()
    with pytest.raises(ValueError, match="declared twice"):
        order.step("size")(registry.flows["order"])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="no step"):
        order.start(_context(), "colour", Order("kopi"))
    with pytest.raises(ValueError, match="registered twice"):
        Flow("order", Order, registry=registry)


def test_buttons_answer_their_own_flow_only() -> None:
    _, order = _order_flow()
    ctx = _context()
    button = order.button(ctx, "common.cancel", "no")
    assert (button.label, button.payload) == ("Batal", "order:no")
    assert order.pressed(_message(payload="order:no"), "no")
    assert not order.pressed(_message(payload="join:no"), "no")
    assert not order.pressed(_message("order:no"), "no")  # typed text is no button
    assert order.answer(_message(payload="/hapus 12 ya")) is None


async def test_a_post_whose_stored_data_no_longer_fits_ends_and_the_next_message_works(
    chat: Transcript,
) -> None:
    await chat.join("Siti")
    await chat.say("Siti", "/jual")
    with chat.core.open_session() as session:
        state = session.get(ConversationState, 1)
        assert state is not None and state.flow == "post"
        state.data = {"title": "Keripik"}  # an older version's data: no seller, no guided
        session.add(state)
        session.commit()
    assert "sudah tidak berlaku" in await chat.text("Siti", "Keripik pisang")
    assert "Rp15.000" in await chat.text("Siti", "JUAL Keripik pisang 15rb")


async def test_a_state_of_the_old_string_steps_is_forgotten_without_a_crash(
    chat: Transcript,
) -> None:
    await chat.join("Siti")
    with chat.core.open_session() as session:
        state = session.get(ConversationState, 1)
        assert state is not None
        state.flow, state.step, state.data = "product", "edit:price", {"product_id": 1}
        session.add(state)
        session.commit()
    assert "sudah tidak berlaku" in await chat.text("Siti", "15rb")
    assert "Rp15.000" in await chat.text("Siti", "JUAL Keripik pisang 15rb")


def test_which_steps_let_a_typed_command_word_through() -> None:
    """Outside a flow and in answer-like steps a command word counts; in a free-text step
    only alone; a step's own words stay its answer (Registry.reads_bare_command)."""
    registry = Registry()
    shop = Flow("shop", Order, registry=registry)

    @shop.step("name", free_text=True)
    @shop.step("phone")
    @shop.step("card", reads=("jual",))
    async def any_step(msg: Incoming, ctx: Context, data: Order) -> Sequence[Reply]:
        return []

    reads = registry.reads_bare_command
    assert reads(None, None, "cari bakso")
    assert reads("shop", "phone", "persetujuan on") and reads("shop", "phone", "antrian")
    assert not reads("shop", "name", "Cari Rasa sambal") and reads("shop", "name", "katalog")
    assert not reads("shop", "card", "JUAL Rendang 20rb") and reads("shop", "card", "menu")


def test_said_yes_and_no_read_buttons_and_typed_words() -> None:
    _, order = _order_flow()
    assert order.said_yes(_message("iya")) and order.said_yes(_message("👍"))
    assert order.said_yes(_message(payload="order:yes"))
    assert order.said_no(_message("gak")) and order.said_no(_message(payload="order:no"))
    assert not order.said_yes(_message("ya", payload="order:no"))  # a button says what it says
    assert not order.said_yes(_message("mungkin")) and not order.said_no(_message("mungkin"))
