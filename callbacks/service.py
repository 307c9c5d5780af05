"""The callback receiver and its worker, for one running HTTP front-end (`serve --transport http`, the Slack
bot's `--http` mode). The endpoint exists from the start; it answers 503 until the PSA connection is open,
because checking a signature needs the site's origin (on the embedded default, the sandbox's port is only
known then). ConnectWise retries a 503.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response

from callbacks.hints import HintSink
from callbacks.receiver import Answer, CallbackReceiver, not_ready, read_body, response, signature_of, too_large
from callbacks.worker import CallbackWorker
from psa.connectwise.callbacks import SigningKeys
from psa.connectwise.provider import ConnectWiseProvider
from storage.callbacks import CallbackStore

if TYPE_CHECKING:
    from kb_index.search import KnowledgeSearch
    from kb_index.store import KnowledgeStore

STARTING = "the copilot is still starting; ConnectWise will retry"


class CallbackService:
    def __init__(self, inbox: CallbackStore | None = None, sinks: list[HintSink] | None = None) -> None:
        self.inbox = inbox or CallbackStore()
        self.sinks: list[HintSink] = sinks if sinks is not None else []
        """Shared with the worker: a front-end may add its sink after the service started."""
        self.receiver: CallbackReceiver | None = None
        self.worker: CallbackWorker | None = None
        self._unavailable = STARTING

    async def endpoint(self, request: Request) -> Response:
        """The Starlette endpoint of POST /connectwise/callbacks."""
        body = await read_body(request)
        return response(too_large() if body is None else await self.handle(body, signature_of(request)))

    async def handle(self, body: bytes, signed: str | None) -> Answer:
        if self.receiver is None:
            return not_ready(self._unavailable)
        return await self.receiver.handle(body, signed)

    def unavailable(self, reason: str) -> None:
        """The PSA connection failed to open: every delivery is answered 503 with this reason."""
        self._unavailable = reason

    async def run(self, site: str, provider: ConnectWiseProvider, *, index: KnowledgeStore | None = None,
                  search: KnowledgeSearch | None = None, index_note: str | None = None) -> None:
        """Receive for `site` and work the inbox until cancelled (deliveries stored earlier, by this or an
        earlier run, are handled first)."""
        keys = SigningKeys(site)
        worker = CallbackWorker(self.inbox, provider, index=index, search=search, sinks=self.sinks,
                                index_note=index_note)
        self.worker = worker
        self.receiver = CallbackReceiver(keys, self.inbox, worker.wake)
        try:
            await worker.run()
        finally:
            self.receiver = None
            self._unavailable = "the copilot is stopping; ConnectWise will retry"
            await keys.aclose()
