"""Where features declare their commands, flows and free-text handlers.

Each feature module registers itself at import time; `handlers.features` imports them all,
and the router asks the registry what a message means.
"""

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from handlers.context import Context
from handlers.messages import Incoming, Reply
from storage.models import Role

__all__ = ["REGISTRY", "Command", "Handler", "Interception", "Registry"]

Handler = Callable[[Incoming, Context, str], Awaitable[Sequence[Reply]]]
"""A command handler: (message, context, the text after the command) -> replies."""

FlowHandler = Callable[[Incoming, Context], Awaitable[Sequence[Reply]]]
FallbackHandler = Callable[[Incoming, Context], Awaitable[Sequence[Reply] | None]]


@dataclass(frozen=True)
class Interception:
    """What an interceptor says before a private message is routed: replies that come
    first, and whether they answer the message entirely (`done`: nothing else sees it)."""

    replies: tuple[Reply, ...]
    done: bool = False


InterceptHandler = Callable[[Incoming, Context], Awaitable[Interception | None]]


@dataclass(frozen=True, kw_only=True)
class Command:
    """One command, reachable as `/name` (Telegram style) or as a bare keyword (WhatsApp)."""

    key: str
    handler: Handler
    slash: tuple[str, ...]  # lower-case names after "/"
    bare: tuple[str, ...]  # lower-case first words that work without "/"
    role: Role | None  # None: anyone, even before joining
    help_key: str | None  # catalogue key of the menu line; None: not listed
    in_group: bool = False  # answered inside a Telegram group
    en: str | None = None  # the name to show English speakers, if not the first one


@dataclass
class Registry:
    """Commands, flows and fallbacks of every feature."""

    commands: list[Command] = field(default_factory=list)
    flows: dict[str, FlowHandler] = field(default_factory=dict)
    fallbacks: list[tuple[int, FallbackHandler]] = field(default_factory=list)
    interceptors: list[InterceptHandler] = field(default_factory=list)
    """Run on every private message before commands and flows (the full weekly digest owed
    after a WhatsApp template teaser comes with the member's next message)."""
    step_words: dict[tuple[str, str], frozenset[str] | None] = field(default_factory=dict)
    """(flow, step) -> the first words that step reads itself (`JUAL` on the product review
    card), or None for a free-text step (a product name, a reason). See `reads_bare_command`."""

    def command(
        self,
        key: str,
        *,
        slash: Sequence[str],
        bare: Sequence[str] | None = None,
        role: Role | None = Role.MEMBER,
        listed: bool = True,
        in_group: bool = False,
        en: str | None = None,
    ) -> Callable[[Handler], Handler]:
        """Register a command handler (decorator).

        `bare` defaults to the `slash` names (`bare=()`: only reachable with "/"); a listed
        command's menu line is the text `menu.line.<key>` (`listed=False`: not in the menu).
        """
        slashes = tuple(name.lower() for name in slash)
        bares = slashes if bare is None else tuple(name.lower() for name in bare)

        def register(handler: Handler) -> Handler:
            for other in self.commands:
                if (
                    other.key == key
                    or set(slashes) & set(other.slash)
                    or set(bares) & set(other.bare)
                ):
                    raise ValueError(f"command {key!r} clashes with {other.key!r}")
            self.commands.append(
                Command(
                    key=key,
                    handler=handler,
                    slash=slashes,
                    bare=bares,
                    role=role,
                    help_key=f"menu.line.{key}" if listed else None,
                    in_group=in_group,
                    en=en,
                )
            )
            return handler

        return register

    def flow(self, name: str) -> Callable[[FlowHandler], FlowHandler]:
        """Register the handler of a multi-step flow (decorator)."""

        def register(handler: FlowHandler) -> FlowHandler:
            if name in self.flows:
                raise ValueError(f"flow {name!r} registered twice")
            self.flows[name] = handler
            return handler

        return register

    def fallback(self, priority: int = 100) -> Callable[[FallbackHandler], FallbackHandler]:
        """Register a handler for messages that are no command; lower priority runs first."""

        def register(handler: FallbackHandler) -> FallbackHandler:
            self.fallbacks.append((priority, handler))
            self.fallbacks.sort(key=lambda item: item[0])
            return handler

        return register

    def intercept(self, handler: InterceptHandler) -> InterceptHandler:
        """Register an interceptor (decorator); it must be cheap, it sees every message."""
        if handler not in self.interceptors:
            self.interceptors.append(handler)
        return handler

    def reads_bare_command(self, flow: str | None, step: str | None, text: str) -> bool:
        """Whether a bare (slash-less) command word starting `text` counts as a command.

        The rule, inside a flow:
        - in steps answered by a button, yes/no, a number, a price, a phone number or a
          category, a message whose first word is a command (`persetujuan on`, `antrian`,
          `menu`) runs that command and leaves the step, unless the step reads that word
          itself (`JUAL Rendang 20rb` on the review card posts the next product for the
          same seller);
        - in a free-text step (a product name like "Cari Rasa" or "Jual Beli Ani", a
          description, a reason) only a command word alone (`katalog`, `menu`) counts;
          with more words it is the answer.
        `/commands` and BATAL always interrupt (the router checks them first).
        """
        if flow is None:
            return True
        first, *more = text.split(maxsplit=1)[:2] or [""]
        word = first.strip(".,!?:;").lower()
        if (flow, step or "") not in self.step_words:
            return True
        own = self.step_words[(flow, step or "")]
        return not more if own is None else word not in own

    def find(self, word: str, *, slash: bool) -> Command | None:
        """The command named `word`, as typed with or without "/"."""
        word = word.lower()
        for command in self.commands:
            if word in (command.slash if slash else command.bare):
                return command
        return None


REGISTRY = Registry()
