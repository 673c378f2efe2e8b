"""What every channel adapter offers the process that runs them all."""

from typing import Protocol

from starlette.routing import BaseRoute

from jobs.sending import Sender

__all__ = ["CannotStart", "ChannelAdapter"]


class CannotStart(RuntimeError):
    """A channel cannot start (its service unreachable, its credentials refused): one line
    for the operator, naming what to check. `guyub run` prints it and exits non-zero."""


class ChannelAdapter(Protocol):
    """A chat platform: receives into the router, sends for the delivery worker."""

    @property
    def name(self) -> str:
        """The channel's name: telegram, whatsapp."""
        ...

    @property
    def sender(self) -> Sender:
        """What the delivery worker sends through."""
        ...

    def routes(self) -> list[BaseRoute]:
        """HTTP routes to mount in the shared web app (webhooks); may be empty."""
        ...

    def accept_webhooks(self) -> None:
        """Answer webhook POSTs (`--role web`: nothing else runs in the process)."""
        ...

    async def start(self, *, serve_inbox: bool = True, receive: bool = True) -> None:
        """Begin receiving (polling, or registering a webhook) and handling the inbox."""
        ...

    async def stop(self) -> None:
        """Stop receiving, finish or release in-flight sends."""
        ...
