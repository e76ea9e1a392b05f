"""One sync cycle of a kiosk: push the outbox, pull the feed, report health.

:class:`SyncEngine` owns no thread (see :mod:`sync.loop`); each call of
:meth:`SyncEngine.run_once` opens a client, does the work and records what
happened in the store's sync state, so ``gerbang sync status`` can report it
without the network.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from importlib import metadata
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from models.audit import AuditLog, ChainHead
from models.errors import DuplicateRecordError, GerbangError, SecurityError
from models.operations import KioskIdentity, KioskStatus
from models.settings import Settings
from models.store import Store
from models.store.outbox import OutboxItem
from sync import params, protocol
from sync.apply import FEED_CURRENT_AT, FeedApplier, IndexHook
from sync.client import Clock, Registration, SyncClient, utc_now
from sync.errors import (
    KioskRevokedError,
    NotRegisteredError,
    ProtocolError,
    RequestRefusedError,
)
from sync.policy import OfflinePolicy, OfflineStatus, effective_policy
from sync.protocol import FeedKind, FeedPage, ItemStatus, PushKind, PushOutcome

log = logging.getLogger(__name__)

K_URL = "server.url"
K_SERVER_KEY = "server.public_key"
K_OFFICE = "kiosk.office_id"
K_REGISTERED_AT = "kiosk.registered_at"
K_REVOKED = "kiosk.revoked"
K_OFFSET = "clock.offset_s"
K_LAST_PUSH = "push.last_success"
K_LAST_PULL = "pull.last_success"
K_LAST_SUCCESS = "sync.last_success"
K_LAST_ATTEMPT = "sync.last_attempt"
K_LAST_ERROR = "sync.last_error"
# Batch refusals that one item can cause (its envelope fails validation, the body is
# too large); any other refusal fails the cycle as before.
_ITEM_REFUSALS = frozenset({"push.malformed", "request.too_large"})
FEED_AHEAD = "feed.checkpoint_ahead"  # the centre's feed is behind this kiosk's checkpoint


@dataclass(frozen=True, slots=True)
class PushReport:
    batches: int = 0
    accepted: int = 0
    duplicate: int = 0
    rejected: int = 0


@dataclass(frozen=True, slots=True)
class PullReport:
    pages: int = 0
    upserts: int = 0
    deletes: int = 0
    checkpoint: int = 0


@dataclass(frozen=True, slots=True)
class SyncReport:
    push: PushReport
    pull: PullReport
    duration_ms: float
    offline: OfflineStatus

    def as_json(self) -> dict[str, Any]:
        return {
            "push": asdict(self.push),
            "pull": asdict(self.pull),
            "duration_ms": round(self.duration_ms, 1),
            "offline": self.offline.as_json(),
        }


def _version() -> str:
    try:
        return metadata.version("gerbang")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "0"


class SyncEngine:
    def __init__(
        self,
        store: Store,
        settings: Settings,
        signing_key: Ed25519PrivateKey,
        *,
        transport: httpx.BaseTransport | None = None,
        index_hook: IndexHook | None = None,
        clock: Clock = utc_now,
        before_checkpoint: Callable[[FeedPage], None] | None = None,
        page_size: int = params.FEED_PAGE_SIZE,
        push_batch: int = params.PUSH_BATCH_ITEMS,
    ) -> None:
        self.store = store
        self.page_size = page_size
        self.push_batch = push_batch
        self.settings = settings
        self.kiosk_id = settings.kiosk.id
        self.office_id = settings.kiosk.office_id
        self._key = signing_key
        self._transport = transport
        self._clock = clock
        self.applier = FeedApplier(
            store, index_hook=index_hook, clock=clock, before_checkpoint=before_checkpoint
        )

    # ------------------------------------------------------------ registration
    @property
    def server_url(self) -> str:
        return self.settings.sync.server_url or self.store.sync_state.get(K_URL) or ""

    @property
    def registered(self) -> bool:
        return self.store.sync_state.get(K_SERVER_KEY) is not None

    @property
    def revoked(self) -> bool:
        return self.store.sync_state.get(K_REVOKED) == "1"

    def _client(self, url: str | None = None) -> SyncClient:
        raw_key = self.store.sync_state.get(K_SERVER_KEY)
        offset = self.store.sync_state.get(K_OFFSET)
        return SyncClient(
            url or self.server_url,
            kiosk_id=self.kiosk_id,
            signing_key=self._key,
            server_public_key=protocol.unb64(raw_key) if raw_key else None,
            transport=self._transport,
            clock=self._clock,
            clock_offset_s=float(offset) if offset else 0.0,
        )

    def register(
        self, code: str, *, server_url: str | None = None, expect_fingerprint: str | None = None
    ) -> Registration:
        """Register with an officer's one-time code and pin the server's key."""
        url = server_url or self.server_url
        with self._client(url) as client:
            registration = client.register(code, office_id=self.office_id)
        if expect_fingerprint and registration.server_key_fingerprint != expect_fingerprint.lower():
            raise SecurityError(
                "the server's key fingerprint differs from the one given; not registered"
            )
        now = self._clock()
        state = self.store.sync_state
        with self.store.atomic():
            state.set(K_URL, url)
            state.set(K_SERVER_KEY, protocol.b64(registration.server_public_key))
            state.set(K_OFFICE, registration.office_id)
            state.set_time(K_REGISTERED_AT, registration.registered_at)
            state.delete(K_REVOKED)
            self.store.kiosk.put(
                KioskIdentity(
                    kiosk_id=self.kiosk_id,
                    office_id=registration.office_id,
                    public_key=protocol.public_key_bytes(self._key),
                    created_at=now,
                    status=KioskStatus.ACTIVE,
                    registered_at=registration.registered_at,
                )
            )
        log.info("kiosk registered", extra={"kiosk_id": self.kiosk_id, "office_id": self.office_id})
        return registration

    # ------------------------------------------------------------ one cycle
    def run_once(self, *, should_stop: Callable[[], bool] = lambda: False) -> SyncReport:
        if not self.registered:
            raise NotRegisteredError("this kiosk is not registered: run `gerbang sync register`")
        started = time.perf_counter()
        state = self.store.sync_state
        state.set_time(K_LAST_ATTEMPT, self._clock())
        client = self._client()
        try:
            pushed = self.push(client, should_stop)
            pulled = self.pull(client, should_stop)
            client.report_status(self.health_report())
        except KioskRevokedError:
            state.set(K_REVOKED, "1")
            state.set(K_LAST_ERROR, KioskRevokedError.code)
            raise
        except GerbangError as exc:
            state.set(K_LAST_ERROR, exc.code)
            raise
        finally:
            state.set(K_OFFSET, repr(client.clock_offset_s))
            client.close()
        state.set_time(K_LAST_SUCCESS, self._clock())
        state.delete(K_LAST_ERROR)
        return SyncReport(
            pushed, pulled, (time.perf_counter() - started) * 1000, self.offline_status()
        )

    def push(
        self,
        client: SyncClient,
        should_stop: Callable[[], bool] = lambda: False,
        *,
        batch_items: int | None = None,
        max_batches: int | None = None,
    ) -> PushReport:
        """Send pending outbox items in batches; accepted and duplicate ones are done."""
        self.enqueue_audit_head()
        batches = accepted = duplicate = rejected = 0
        outbox = self.store.outbox
        while not should_stop() and (max_batches is None or batches < max_batches):
            items = outbox.pending(limit=batch_items or self.push_batch, now=self._clock())
            if not items:
                break
            done = []
            for item, outcome in self._push_batch(client, items):
                if outcome.status is ItemStatus.REJECTED:
                    rejected += 1
                    outbox.mark_failed(
                        item.row_id,
                        f"rejected:{outcome.code}",
                        retry_at=self._clock() + timedelta(seconds=params.REJECTED_RETRY_S),
                    )
                else:
                    done.append(item.row_id)
                    accepted += outcome.status is ItemStatus.ACCEPTED
                    duplicate += outcome.status is ItemStatus.DUPLICATE
            outbox.mark_sent(done, now=self._clock())
            batches += 1
        self.store.sync_state.set_time(K_LAST_PUSH, self._clock())
        return PushReport(batches, accepted, duplicate, rejected)

    def _push_batch(
        self, client: SyncClient, items: list[OutboxItem], *, top: bool = True
    ) -> list[tuple[OutboxItem, PushOutcome]]:
        """Each item with the server's answer. When the server refuses the whole batch
        because of what one item carries (too long a key, too large a payload), the batch
        is halved until that item is alone: it is answered ``rejected`` (and set aside
        like any rejected item) instead of failing every cycle before the feed is read.
        If every item is refused on its own too, the refusal is not the items' (a server
        bug, a proxy): the cycle fails and the items stay pending."""
        try:
            outcomes = {o.key: o for o in client.push(items)}
        except RequestRefusedError as exc:
            if exc.reason not in _ITEM_REFUSALS:
                raise
            if len(items) == 1:
                (item,) = items
                log.warning("push item refused by the server", extra={"code": exc.reason})
                return [(item, PushOutcome(item.idempotency_key, ItemStatus.REJECTED, exc.reason))]
            half = len(items) // 2
            results = self._push_batch(client, items[:half], top=False) + self._push_batch(
                client, items[half:], top=False
            )
            if top and all(
                o.status is ItemStatus.REJECTED and o.code in _ITEM_REFUSALS for _, o in results
            ):
                raise
            return results
        return [(item, outcomes[item.idempotency_key]) for item in items]

    # ------------------------------------------------------------ audit-chain heads
    def enqueue_audit_head(self) -> ChainHead | None:
        """Put the audit chain's current head in the outbox (key ``audit_head:<seq>``),
        once per head; called before each push. The centre keeps the heads and refuses
        any that goes back or disagrees with one it holds (``docs/security.md``)."""
        head = AuditLog(self.store, self._key).head()
        if head is None:
            return None
        payload = json.dumps(head.to_json(), sort_keys=True, separators=(",", ":")).encode()
        with contextlib.suppress(DuplicateRecordError):  # queued or delivered already
            self.store.outbox.enqueue(
                PushKind.AUDIT_HEAD.value, f"audit_head:{head.seq}", payload, now=self._clock()
            )
        return head

    def held_audit_heads(self) -> list[ChainHead]:
        """Every audit-chain head the centre holds for this kiosk's key, oldest first
        (verified answers; network)."""
        if not self.registered:
            raise NotRegisteredError("this kiosk is not registered: run `gerbang sync register`")
        heads: list[ChainHead] = []
        with self._client() as client:
            more = True
            while more:
                page, more = client.audit_heads(heads[-1].seq if heads else 0)
                if more and not page:
                    raise ProtocolError("audit heads answer: 'more' with an empty page")
                heads.extend(page)
        return heads

    def pull(
        self, client: SyncClient, should_stop: Callable[[], bool] = lambda: False
    ) -> PullReport:
        """Fetch and apply pages until the feed is exhausted.

        The next page is fetched (and its signature checked) while the current one
        is applied, so the server's and the kiosk's work overlap during a catch-up.
        """
        pages = upserts = deletes = 0
        by_kind: dict[str, int] = {}
        checkpoint = self.store.sync_state.checkpoint()
        try:
            first = client.fetch_page(checkpoint, limit=self.page_size)
        except RequestRefusedError as exc:
            if exc.reason != FEED_AHEAD:
                raise
            # The centre was restored behind this kiosk: start the feed again (every
            # change is an idempotent upsert or a tombstone, so re-applying is safe).
            log.warning("feed checkpoint ahead of the centre; resyncing from 0")
            self.store.sync_state.set_checkpoint(0)
            checkpoint = 0
            first = client.fetch_page(checkpoint, limit=self.page_size)
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="gerbang-feed") as fetcher:
            done: Future[FeedPage] = Future()
            done.set_result(first)
            upcoming: Future[FeedPage] | None = done
            while upcoming is not None:
                page = upcoming.result()
                upcoming = None
                if page.more and not should_stop():
                    upcoming = fetcher.submit(
                        client.fetch_page, page.next_since, limit=self.page_size
                    )
                result = self.applier.apply(page)
                pages += 1
                upserts += result.upserts
                deletes += result.deletes
                checkpoint = result.checkpoint
                for kind, count in result.by_kind.items():
                    by_kind[kind] = by_kind.get(kind, 0) + count
        with self.store.atomic():
            self.applier.flush()
            self.store.sync_state.set_time(K_LAST_PULL, self._clock())
            if upserts or deletes:
                # What the centre changed here (watchlist entries, travellers, trust
                # anchors, policy) goes into the kiosk's audit chain as well.
                AuditLog(self.store, self._key).append(
                    "central",
                    "feed.apply",
                    f"checkpoint:{checkpoint}",
                    {"pages": pages, "upserts": upserts, "deletes": deletes, **by_kind},
                )
        return PullReport(pages, upserts, deletes, checkpoint)

    # ------------------------------------------------------------ policy and status
    def policy(self) -> OfflinePolicy:
        docs = self.store.feed_documents
        office = self.store.sync_state.get(K_OFFICE) or self.office_id
        global_doc = docs.get(FeedKind.POLICY.value, "global")
        office_doc = docs.get(FeedKind.POLICY.value, office)
        return effective_policy(
            self.settings.sync,
            global_doc=global_doc.payload if global_doc else None,
            office_doc=office_doc.payload if office_doc else None,
            office_id=office,
        )

    def offline_status(self, now: datetime | None = None) -> OfflineStatus:
        state = self.store.sync_state
        return self.policy().evaluate(
            now=now or self._clock(),
            registered=self.registered,
            revoked=self.revoked,
            last_sync_at=state.get_time(K_LAST_SUCCESS),
            watchlist_at=state.get_time(FEED_CURRENT_AT),
            outbox_depth=self.store.outbox.depth(),
        )

    def health_report(self) -> dict[str, Any]:
        state = self.store.sync_state
        return {
            "checkpoint": state.checkpoint(),
            "outbox_depth": self.store.outbox.depth(),
            "offline": self.offline_status().as_json(),
            "last_push_at": state.get(K_LAST_PUSH),
            "last_pull_at": state.get(K_LAST_PULL),
            "version": _version(),
        }

    def status(self) -> dict[str, Any]:
        """Everything ``gerbang sync status`` prints (no network)."""
        state = self.store.sync_state
        raw_key = state.get(K_SERVER_KEY)
        policy = self.policy()
        return {
            "kiosk_id": self.kiosk_id,
            "office_id": state.get(K_OFFICE) or self.office_id,
            "registered": self.registered,
            "revoked": self.revoked,
            "server_url": self.server_url or None,
            "server_key_fingerprint": protocol.fingerprint(protocol.unb64(raw_key))
            if raw_key
            else None,
            "checkpoint": state.checkpoint(),
            "outbox_depth": self.store.outbox.depth(),
            "last_success_at": state.get(K_LAST_SUCCESS),
            "last_attempt_at": state.get(K_LAST_ATTEMPT),
            "last_error": state.get(K_LAST_ERROR),
            "feed_current_at": state.get(FEED_CURRENT_AT),
            "clock_offset_s": float(state.get(K_OFFSET) or 0.0),
            "policy": {
                "source": policy.source,
                "max_days_offline": policy.max_days_offline,
                "watchlist_stale_hours": policy.watchlist_stale_hours,
                "max_outbox_items": policy.max_outbox_items,
            },
            "offline": self.offline_status().as_json(),
        }
