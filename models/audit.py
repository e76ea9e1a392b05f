"""The tamper-evident audit log: a hash chain of records signed by the kiosk key.

Each record's ``entry_hash`` is SHA-256 over its canonical content and the
previous record's hash (``prev_hash``; 32 zero bytes for the first record), and
``signature`` is the kiosk's Ed25519 signature over ``entry_hash``. The
sequence number is the record's position and is checked for continuity, but
the *links* carry the order, so that a break can be classified:

=================  ==========================================================
edit               a record's content no longer matches its hash
forged_signature   content and hash agree but the kiosk key did not sign them
reorder            a record links to a record that is not its predecessor
deletion           a record links to a hash that is no longer in the log
renumbered         sequence numbers were changed (links intact)
truncation         the log ends before a chain head the central server holds
fork               the record at a head's position differs from that head
=================  ==========================================================

An attacker who holds the kiosk's disk *and* its key can rewrite a consistent
history. That is caught by the chain heads: every sync pushes the current head
(seq, hash, signature) and the central server keeps them, so verification
against the server's heads reports ``truncation`` or ``fork``. The server
refuses heads that go backwards or disagree with one it holds
(:func:`check_head_progression`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from models.errors import SecurityError
from models.operations import AuditRecord
from models.store import Store

GENESIS = bytes(32)


def entry_hash(
    occurred_at: datetime, actor: str, action: str, subject: str, detail: str, prev_hash: bytes
) -> bytes:
    canonical = json.dumps(
        [occurred_at.isoformat(), actor, action, subject, detail, prev_hash.hex()],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(b"gerbang-audit-v1\x00" + canonical.encode()).digest()


def _recompute(record: AuditRecord) -> bytes:
    return entry_hash(
        record.occurred_at,
        record.actor,
        record.action,
        record.subject,
        record.detail,
        record.prev_hash,
    )


@dataclass(frozen=True, slots=True)
class ChainHead:
    """The newest link of a kiosk's chain, as pushed to the central server."""

    seq: int
    entry_hash: bytes
    signature: bytes

    def to_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "entry_hash": self.entry_hash.hex(),
            "signature": self.signature.hex(),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ChainHead:
        try:
            return cls(
                int(data["seq"]),
                bytes.fromhex(data["entry_hash"]),
                bytes.fromhex(data["signature"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise SecurityError("malformed chain head") from exc

    def verify(self, public_key: Ed25519PublicKey) -> None:
        try:
            public_key.verify(self.signature, self.entry_hash)
        except InvalidSignature as exc:
            raise SecurityError(f"chain head {self.seq} is not signed by this kiosk") from exc


class BreakKind(StrEnum):
    EDIT = "edit"
    FORGED_SIGNATURE = "forged_signature"
    REORDER = "reorder"
    DELETION = "deletion"
    RENUMBERED = "renumbered"
    TRUNCATION = "truncation"
    FORK = "fork"


@dataclass(frozen=True, slots=True)
class ChainBreak:
    seq: int
    kind: BreakKind
    detail: str


@dataclass(frozen=True, slots=True)
class ChainReport:
    records: int
    head: ChainHead | None
    breaks: tuple[ChainBreak, ...]

    @property
    def valid(self) -> bool:
        return not self.breaks

    @property
    def first_break(self) -> ChainBreak | None:
        return min(self.breaks, key=lambda b: b.seq) if self.breaks else None

    def to_json(self) -> dict[str, Any]:
        first = self.first_break
        return {
            "valid": self.valid,
            "records": self.records,
            "head": self.head.to_json() if self.head else None,
            "first_break": None
            if first is None
            else {"seq": first.seq, "kind": first.kind.value, "detail": first.detail},
            "breaks": [
                {"seq": b.seq, "kind": b.kind.value, "detail": b.detail} for b in self.breaks
            ],
        }


def verify_chain(
    records: Iterable[AuditRecord],
    public_key: Ed25519PublicKey,
    *,
    anchors: Sequence[ChainHead] = (),
) -> ChainReport:
    """Check every link; ``anchors`` are chain heads held by the central server."""
    chain = list(records)
    position_of = {r.entry_hash: i for i, r in enumerate(chain)}
    breaks: list[ChainBreak] = []
    prev = GENESIS
    for index, record in enumerate(chain):
        if _recompute(record) != record.entry_hash:
            breaks.append(ChainBreak(record.seq, BreakKind.EDIT, "content does not match its hash"))
        else:
            try:
                public_key.verify(record.signature, record.entry_hash)
            except InvalidSignature:
                breaks.append(
                    ChainBreak(
                        record.seq, BreakKind.FORGED_SIGNATURE, "not signed by the kiosk key"
                    )
                )
        if record.prev_hash != prev:
            target = position_of.get(record.prev_hash)
            if target is not None:
                breaks.append(
                    ChainBreak(
                        record.seq,
                        BreakKind.REORDER,
                        f"links to record {chain[target].seq}, not its predecessor",
                    )
                )
            else:
                breaks.append(
                    ChainBreak(record.seq, BreakKind.DELETION, "links to a record that is missing")
                )
        elif record.seq != index + 1:
            breaks.append(
                ChainBreak(
                    record.seq, BreakKind.RENUMBERED, f"expected sequence number {index + 1}"
                )
            )
        prev = record.entry_hash
    by_seq = {r.seq: r for r in chain}
    last_seq = chain[-1].seq if chain else 0
    for anchor in anchors:
        if anchor.seq > last_seq:
            breaks.append(
                ChainBreak(
                    last_seq + 1,
                    BreakKind.TRUNCATION,
                    f"the server holds head {anchor.seq}; the log ends at {last_seq}",
                )
            )
        elif (at := by_seq.get(anchor.seq)) is None or at.entry_hash != anchor.entry_hash:
            breaks.append(
                ChainBreak(
                    anchor.seq, BreakKind.FORK, "differs from the chain head the server holds"
                )
            )
    head = ChainHead(chain[-1].seq, chain[-1].entry_hash, chain[-1].signature) if chain else None
    return ChainReport(
        len(chain), head, tuple(sorted(set(breaks), key=lambda b: (b.seq, b.kind.value)))
    )


class HeadVerdict(StrEnum):
    ACCEPTED = "accepted"
    UNCHANGED = "unchanged"
    ROLLBACK = "rollback"  # a head older than one already held: replay or a truncated log
    FORK = "fork"  # same position, different hash: history was rewritten


def check_head_progression(held: ChainHead | None, new: ChainHead) -> HeadVerdict:
    """What the central server concludes from a pushed head, given the newest head it holds."""
    if held is None or new.seq > held.seq:
        return HeadVerdict.ACCEPTED
    if new.seq == held.seq:
        return HeadVerdict.UNCHANGED if new.entry_hash == held.entry_hash else HeadVerdict.FORK
    return HeadVerdict.ROLLBACK


class AuditLog:
    """Appends signed, chained records to the store's audit table."""

    def __init__(
        self,
        store: Store,
        signer: Ed25519PrivateKey,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._store = store
        self._signer = signer
        self._clock = clock

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self._signer.public_key()

    def append(
        self, actor: str, action: str, subject: str, detail: Mapping[str, Any] | None = None
    ) -> AuditRecord:
        """Add a record. ``detail`` must hold no personal data (ids, codes, counts)."""
        text = json.dumps(
            dict(detail or {}), sort_keys=True, ensure_ascii=False, separators=(",", ":")
        )
        with self._store.atomic():
            last = self._store.audit.last()
            prev, seq = (GENESIS, 1) if last is None else (last.entry_hash, last.seq + 1)
            occurred = self._clock()
            digest = entry_hash(occurred, actor, action, subject, text, prev)
            record = AuditRecord(
                seq, occurred, actor, action, subject, text, prev, digest, self._signer.sign(digest)
            )
            self._store.audit.append(record)
        return record

    def head(self) -> ChainHead | None:
        last = self._store.audit.last()
        return None if last is None else ChainHead(last.seq, last.entry_hash, last.signature)

    def verify(self, anchors: Sequence[ChainHead] = ()) -> ChainReport:
        return verify_chain(self._store.audit, self.public_key, anchors=anchors)
