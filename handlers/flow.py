"""Multi-step conversations declared as named steps with typed data.

A flow (like aiogram's `StatesGroup` with its `FSMContext`, but stored in our database) is:

    JOIN = Flow("join", JoinData)            # JoinData: a dataclass, stored as JSON

    @JOIN.step("consent")
    async def consent(msg: Incoming, ctx: Context, data: JoinData) -> Sequence[Reply]: ...

    JOIN.start(ctx, "consent", JoinData(community_id=7))   # enter, or move to another step
    JOIN.button(ctx, "join.agree", "yes")                  # a button answering `join:yes`

The step and the data live in `ConversationState` (flow, step, data), so a flow survives
restarts and works the same on every channel. A stored state that no longer fits (a step
or a data field from an older version) ends the flow with a friendly word, never a crash.
"""

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Generic, TypeVar

from pydantic import TypeAdapter, ValidationError

from handlers.answers import is_no, is_yes
from handlers.context import Context
from handlers.messages import Button, Incoming, Reply
from handlers.payload import Payload
from handlers.registry import REGISTRY, Registry

__all__ = ["Flow", "Step"]

log = logging.getLogger(__name__)

D = TypeVar("D")
Step = Callable[[Incoming, Context, D], Awaitable[Sequence[Reply]]]
"""One step: (the answer, context, the flow's data) -> replies."""


class Flow(Generic[D]):
    """A named multi-step flow with data of type `D`, registered with the router's registry."""

    def __init__(self, name: str, data: type[D], *, registry: Registry = REGISTRY) -> None:
        self.name = name
        self.data_type = data
        self.steps: dict[str, Step[D]] = {}
        self._adapter: TypeAdapter[D] = TypeAdapter(data)
        self.registry = registry
        registry.flow(name)(self.handle)

    def step(
        self, name: str, *, free_text: bool = False, reads: Sequence[str] = ()
    ) -> Callable[[Step[D]], Step[D]]:
        """Declare the handler of step `name` (decorator).

        `free_text=True`: the answer is free text (a name, a description), so a bare command
        word starting it (`Jual rugi`, `Cari Rasa`) is part of the answer, and only a command
        word alone (`menu`) interrupts. Otherwise a typed command (`antrian`, `persetujuan
        on`) runs and leaves the step, except the words in `reads`, which the step reads
        itself (`Registry.reads_bare_command`).
        """
        if free_text:
            self.registry.step_words[(self.name, name)] = None
        elif reads:
            self.registry.step_words[(self.name, name)] = frozenset(w.lower() for w in reads)

        def register(handler: Step[D]) -> Step[D]:
            if name in self.steps:
                raise ValueError(f"step {name!r} of flow {self.name!r} declared twice")
            self.steps[name] = handler
            return handler

        return register

    def start(self, ctx: Context, step: str, data: D) -> None:
        """Enter the flow at `step`, or move to `step`, keeping `data` for the next answer."""
        if step not in self.steps:
            raise ValueError(f"flow {self.name!r} has no step {step!r}")
        stored: dict[str, Any] = self._adapter.dump_python(data, mode="json")
        ctx.start_flow(self.name, step, stored)

    def end(self, ctx: Context) -> None:
        """Leave the flow."""
        ctx.end_flow()

    def is_at(self, ctx: Context, step: str) -> bool:
        """True when the person is in this flow, at `step`."""
        return ctx.state.flow == self.name and ctx.state.step == step

    def payload(self, action: str, arg: str | None = None) -> str:
        """The payload of a button answering this flow: `name:action[:arg]`."""
        return str(Payload(self.name, action, arg))

    def button(
        self, ctx: Context, key: str, action: str, arg: str | None = None, /, **values: object
    ) -> Button:
        """A button labelled with catalogue text `key`, answering `action` in this flow."""
        return ctx.button(key, self.payload(action, arg), **values)

    def answer(self, msg: Incoming) -> Payload | None:
        """The pressed button's payload when it belongs to this flow, else None."""
        payload = Payload.parse(msg.payload)
        return payload if payload is not None and payload.flow == self.name else None

    def pressed(self, msg: Incoming, action: str) -> bool:
        """True when the message is this flow's button `action`."""
        answer = self.answer(msg)
        return answer is not None and answer.action == action

    def said_yes(self, msg: Incoming, action: str = "yes") -> bool:
        """The button `action` pressed, or a typed yes (`ya`, `iya`, `ok`, 👍: handlers/answers)."""
        return self.pressed(msg, action) or (not msg.payload and is_yes(msg.text))

    def said_no(self, msg: Incoming, action: str = "no") -> bool:
        """The button `action` pressed, or a typed no (`tidak`, `gak`, `batal` ...)."""
        return self.pressed(msg, action) or (not msg.payload and is_no(msg.text))

    def load(self, ctx: Context) -> D | None:
        """The stored data, or None when it is not this flow's or no longer fits its type."""
        if ctx.state.flow != self.name:
            return None
        try:
            return self._adapter.validate_python(ctx.state.data or {})
        except ValidationError:
            return None

    async def handle(self, msg: Incoming, ctx: Context) -> Sequence[Reply]:
        """Run the current step with the stored data (the router calls this)."""
        step = self.steps.get(ctx.state.step or "")
        data = self.load(ctx)
        if step is None or data is None:
            log.info("flow %s: stored step %r no longer fits; ended", self.name, ctx.state.step)
            ctx.end_flow()
            return [ctx.reply("flow.expired")]
        return await step(msg, ctx, data)
