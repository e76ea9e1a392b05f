"""Read a document's chip end to end: access control, files, Chip and Active Authentication.

The chip chooses: when EF.CardAccess offers PACE (Generic Mapping) we run PACE with the
strongest variant offered; we fall back to BAC only when the chip offers no PACE we can
run (no EF.CardAccess, no PACEInfo, or only mappings we do not implement). Files come
in this order: EF.COM (which lists the data groups, so absent ones cost no APDU),
EF.SOD, DG14, then Chip Authentication (the biometric files are read under its
stronger keys), the other data groups, and Active Authentication last.

A failed read (timeout, wrong MAC, a chip that dropped secure messaging) is retried
after running access control again, resuming at the offset reached. A card that leaves
the field raises CardRemovedError at once. The caller may give a ``deadline`` (a
``time.monotonic()`` value) and a ``cancelled`` check: both are looked at before every
APDU, and end the read with ReadStoppedError (never retried). Passive Authentication is not done here:
the caller verifies ``result.files`` (EF.SOD and the data groups) against a trust store.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from devices.apdu import CommandAPDU
from devices.apdu_trace import traced
from devices.base import CardChannel
from devices.epassport import active_auth, chip_auth, pace, params
from devices.epassport.access_key import AccessKey, MRZKey
from devices.epassport.atr import supports_extended_length
from devices.epassport.bac import perform_bac
from devices.epassport.command import exchange
from devices.epassport.domain import KeySource, random_key
from devices.epassport.errors import (
    AccessControlError,
    ReadStoppedError,
    SecureMessagingError,
    UnsupportedProtocolError,
)
from devices.epassport.reading import (
    EF_CARD_ACCESS,
    FILES,
    FileAbsentError,
    FileReader,
    ProgressCallback,
    com_data_groups,
)
from devices.epassport.securityinfos import SecurityInfos, parse_dg14, parse_security_infos
from devices.epassport.sm import SecureChannel
from models.errors import DeviceTimeoutError, DocumentError, MalformedDataError

log = logging.getLogger(__name__)

DEFAULT_FILES = ("EF.COM", "EF.SOD", "DG1", "DG2", "DG7", "DG11", "DG12", "DG14", "DG15")
TRANSIENT = (DeviceTimeoutError, SecureMessagingError)
MF_FID = b"\x3f\x00"


@dataclass(frozen=True, slots=True)
class ReadOptions:
    files: tuple[str, ...] = DEFAULT_FILES
    extended_length: bool = (
        False  # the reader takes extended-length APDUs (Capability.EXTENDED_LENGTH)
    )
    short_file_ids: bool = True
    chip_authentication: bool = True
    active_authentication: bool = True
    allow_bac: bool = True  # a policy may refuse documents that only offer BAC
    retries: int = params.READ_RETRIES
    read_size: int | None = None


@dataclass(frozen=True, slots=True)
class AccessInfo:
    protocol: str  # "PACE" or "BAC"
    algorithm: str  # e.g. id-PACE-ECDH-GM-AES-CBC-CMAC-128, or BAC
    cipher: str  # 3DES, AES-128, ...
    domain: str | None  # curve or group name (PACE)
    parameter_id: int | None
    password: str  # "MRZ" or "CAN"
    fallback_reason: str | None  # why BAC: no_card_access, no_pace_info, pace_unsupported
    extended_length: bool


@dataclass(frozen=True, slots=True)
class CheckResult:
    """Outcome of Chip or Active Authentication. ``valid`` is None when not performed."""

    performed: bool
    valid: bool | None
    algorithm: str | None = None
    reason: str = ""  # why not performed / not valid: a stable code


@dataclass(slots=True)
class FileStats:
    """How one file was read: bytes, APDUs (retries included) and wall time."""

    size: int = 0
    apdus: int = 0
    ms: float = 0.0


@dataclass(frozen=True)
class ChipReadResult:
    access: AccessInfo
    files: dict[str, bytes]  # "EF.COM", "EF.SOD", "DG1", ... raw bytes as read
    absent: tuple[str, ...]
    card_access: bytes | None
    chip_authentication: CheckResult
    active_authentication: CheckResult
    retries: int
    duration_ms: float
    security_infos: SecurityInfos | None = field(default=None, repr=False)  # from DG14
    file_stats: dict[str, FileStats] = field(default_factory=dict)

    @property
    def data_groups(self) -> dict[int, bytes]:
        return {int(name[2:]): data for name, data in self.files.items() if name.startswith("DG")}

    @property
    def sod(self) -> bytes | None:
        return self.files.get("EF.SOD")


NOT_PERFORMED = CheckResult(False, None)


class _Stoppable:
    """The card channel as the session sees it: every APDU first checks the caller's
    deadline and cancel flag (below secure messaging, so nothing half-protected leaks)."""

    def __init__(
        self,
        inner: CardChannel,
        deadline: float | None,
        cancelled: Callable[[], bool] | None,
    ) -> None:
        self.inner = inner
        self.deadline = deadline
        self.cancelled = cancelled

    def transmit(self, apdu: bytes) -> bytes:
        if self.cancelled is not None and self.cancelled():
            raise ReadStoppedError("cancelled")
        if self.deadline is not None and time.monotonic() >= self.deadline:
            raise ReadStoppedError("deadline")
        return self.inner.transmit(apdu)


def _retryable(exc: Exception) -> bool:
    return isinstance(exc, TRANSIENT) and not isinstance(exc, ReadStoppedError)


class _Session:
    def __init__(
        self,
        channel: CardChannel,
        key: AccessKey,
        options: ReadOptions,
        *,
        extended: bool,
        progress: ProgressCallback | None,
        keys: KeySource,
        random_bytes: Callable[[int], bytes],
    ) -> None:
        self.channel = channel
        self.key = key
        self.options = options
        self.extended = extended
        self.progress = progress
        self.keys = keys
        self.random_bytes = random_bytes
        self.retries = 0
        self.choice: pace.PaceChoice | None = None
        self.ca_choice: chip_auth.CaChoice | None = None
        self.ca: CheckResult = NOT_PERFORMED  # the final word: re-runs after failures update it
        self.secure: SecureChannel | None = None
        self.reader: FileReader | None = None
        self.stats: dict[str, FileStats] = {}

    # ------------------------------------------------------------- access control

    def read_card_access(self) -> tuple[bytes | None, str | None]:
        """EF.CardAccess from the master file. A chip fresh from power-up has the MF
        selected; one left inside the eMRTD application (no reset since an earlier read)
        does not find the file by SFI, so the MF is selected and the read repeated once."""
        reader = FileReader(self.channel, short_file_ids=self.options.short_file_ids)
        try:
            try:
                return reader.read(EF_CARD_ACCESS), None
            except FileAbsentError:
                exchange(
                    self.channel, CommandAPDU(0x00, 0xA4, 0x00, 0x0C, MF_FID)
                )  # status ignored
                return FileReader(self.channel, short_file_ids=self.options.short_file_ids).read(
                    EF_CARD_ACCESS
                ), None
        except FileAbsentError:
            return None, "no_card_access"
        except DocumentError:  # refused or malformed: no PACE from this chip
            return None, "card_access_unreadable"

    def choose(self, card_access: bytes | None, reason: str | None) -> AccessInfo:
        fallback = reason
        if card_access is not None:
            try:
                infos = parse_security_infos(card_access)
            except (MalformedDataError, UnsupportedProtocolError):
                infos, fallback = None, "card_access_malformed"
            if infos is not None:
                choices = pace.supported_choices(infos)
                if choices:
                    self.choice = choices[0]
                    algo = self.choice.algorithm
                    return AccessInfo(
                        "PACE", algo.name, algo.cipher.label, self.choice.domain.name,
                        self.choice.parameter_id, self.key.kind, None, self.extended,
                    )  # fmt: skip
                fallback = "pace_unsupported" if infos.pace else "no_pace_info"
        if not self.options.allow_bac:
            raise AccessControlError(
                "the document offers only BAC, which policy refuses",
                protocol="BAC",
                reason="policy",
            )
        if not isinstance(self.key, MRZKey):
            raise AccessControlError(
                "the chip offers only BAC, which needs the MRZ, not a CAN",
                protocol="BAC",
                reason="password",
            )
        return AccessInfo("BAC", "BAC", "3DES", None, None, "MRZ", fallback, self.extended)

    def establish(self) -> None:
        if self.choice is not None:
            secure = pace.perform_pace(
                self.channel, self.key, self.choice, extended_length=self.extended, keys=self.keys
            )
            reader = self._reader(secure)
            reader.select_application()
        else:
            assert isinstance(self.key, MRZKey)  # noqa: S101 - choose() checked it
            FileReader(self.channel).select_application()
            secure = perform_bac(
                self.channel,
                self.key,
                extended_length=self.extended,
                random_bytes=self.random_bytes,
            )
            reader = self._reader(secure)
        self.secure, self.reader = secure, reader

    def _reader(self, secure: SecureChannel) -> FileReader:
        return FileReader(
            secure,
            extended_length=self.extended,
            read_size=self.options.read_size,
            short_file_ids=self.options.short_file_ids,
            progress=self.progress,
        )

    def reestablish(self, exc: Exception, attempt: int) -> None:
        self.retries += 1
        log.warning("chip session failed; running access control again",
                    extra={"step": "reestablish", "attempt": attempt, "code": getattr(exc, "code", "")})  # fmt: skip
        self.establish()
        if self.ca.valid and self.ca_choice is not None:
            self._rerun_chip_authentication()

    def _rerun_chip_authentication(self) -> None:
        """CA again on the new session. If the chip fails it now, it is not the chip that
        passed before (or it lost its key): the CA result becomes FAILED for the whole read,
        and reading goes on under a fresh session without CA's keys."""
        assert self.secure is not None and self.ca_choice is not None  # noqa: S101
        try:
            outcome = chip_auth.perform_chip_authentication(
                self.secure, self.ca_choice, keys=self.keys
            )
        except DocumentError as exc:  # refused, or secure messaging broke during CA
            outcome = chip_auth.CaOutcome(False, self.ca_choice.algorithm.name, None, exc.code)
        if outcome.valid:
            return
        log.warning(
            "chip authentication failed when re-established",
            extra={"step": "ca", "outcome": outcome.reason},
        )
        self.ca = CheckResult(True, False, outcome.algorithm, f"reestablish:{outcome.reason}")
        self.establish()

    # ------------------------------------------------------------- files and checks

    def read(self, name: str) -> bytes | None:
        ef = FILES[name]
        partial = b""
        attempt = 0
        stats = self.stats.setdefault(name, FileStats())
        start = time.perf_counter()
        while True:
            assert self.reader is not None  # noqa: S101 - established before reading
            reader = self.reader
            before = reader.apdus
            try:
                data = reader.read_optional(ef) if not partial else reader.read(ef, resume=partial)
            except TRANSIENT as exc:
                stats.apdus += reader.apdus - before
                partial = reader.partial
                attempt += 1
                if attempt > self.options.retries or not _retryable(exc):
                    raise
                self.reestablish(exc, attempt)
                continue
            stats.apdus += reader.apdus - before
            stats.size = len(data) if data is not None else 0
            stats.ms += (time.perf_counter() - start) * 1000
            return data

    def chip_authentication(self, dg14: bytes | None) -> SecurityInfos | None:
        """Run CA once (result in ``self.ca``); the security infos of DG14 if it parses."""
        if dg14 is None:
            self.ca = CheckResult(False, None, reason="no_dg14")
            return None
        try:
            infos = parse_dg14(dg14)
        except (MalformedDataError, UnsupportedProtocolError):
            self.ca = CheckResult(False, None, reason="dg14_malformed")
            return None
        self.ca_choice = chip_auth.choose(infos)
        if not self.options.chip_authentication:
            self.ca = CheckResult(False, None, reason="disabled")
            return infos
        if self.ca_choice is None:
            self.ca = CheckResult(False, None, reason="not_offered")
            return infos
        attempt = 0
        while True:
            assert self.secure is not None  # noqa: S101
            try:
                outcome = chip_auth.perform_chip_authentication(
                    self.secure, self.ca_choice, keys=self.keys
                )
                break
            except TRANSIENT as exc:
                attempt += 1
                if attempt > self.options.retries or not _retryable(exc):
                    raise
                self.reestablish(exc, attempt)
            except DocumentError as exc:  # the chip refused a CA command
                outcome = chip_auth.CaOutcome(False, self.ca_choice.algorithm.name, None, exc.code)
                break
        self.ca = CheckResult(True, outcome.valid, outcome.algorithm, outcome.reason)
        if not outcome.valid:
            self.establish()  # the session died with the failed CA: a fresh one to go on reading
        return infos

    def active_authentication(self, dg15: bytes | None, infos: SecurityInfos | None) -> CheckResult:
        if dg15 is None:
            return CheckResult(False, None, reason="no_dg15")
        if not self.options.active_authentication:
            return CheckResult(False, None, reason="disabled")
        try:
            key = active_auth.parse_dg15(dg15)
        except (MalformedDataError, UnsupportedProtocolError) as exc:
            return CheckResult(False, None, reason=exc.code)
        aa_info = infos.active_authentication if infos is not None else None
        attempt = 0
        while True:
            assert self.secure is not None  # noqa: S101
            try:
                verdict = active_auth.perform_active_authentication(
                    self.secure, key, aa_info, random_bytes=self.random_bytes
                )
            except TRANSIENT as exc:
                attempt += 1
                if attempt > self.options.retries or not _retryable(exc):
                    raise
                self.reestablish(exc, attempt)
                continue
            except UnsupportedProtocolError as exc:
                return CheckResult(False, None, reason=exc.code)
            except DocumentError as exc:  # INTERNAL AUTHENTICATE refused
                return CheckResult(True, False, key.algorithm, exc.code)
            return CheckResult(True, verdict.valid, verdict.algorithm, verdict.reason)


def read_document(
    channel: CardChannel,
    key: AccessKey,
    options: ReadOptions | None = None,
    *,
    atr: bytes | None = None,
    progress: ProgressCallback | None = None,
    keys: KeySource = random_key,
    random_bytes: Callable[[int], bytes] = secrets.token_bytes,
    deadline: float | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> ChipReadResult:
    """Read the chip on ``channel`` (any CardChannel: PC/SC, loopback, vpcd).

    ``atr`` tells whether the chip takes extended-length APDUs; they are used only when
    ``options.extended_length`` says the reader takes them too. ``deadline`` (a
    ``time.monotonic()`` value) and ``cancelled`` stop the read before its next APDU
    with ReadStoppedError.
    """
    options = options or ReadOptions()
    start = time.monotonic()
    extended = options.extended_length and atr is not None and supports_extended_length(atr)
    channel = traced(channel)  # GERBANG_APDU_TRACE=1: headers and status words, never data
    if deadline is not None or cancelled is not None:
        channel = _Stoppable(channel, deadline, cancelled)
    session = _Session(
        channel,
        key,
        options,
        extended=extended,
        progress=progress,
        keys=keys,
        random_bytes=random_bytes,
    )
    card_access, reason = session.read_card_access()
    access = session.choose(card_access, reason)
    session.establish()
    log.info("access control", extra={"step": "access", "outcome": access.protocol})

    files: dict[str, bytes] = {}
    absent: list[str] = []
    wanted = [name for name in options.files if name in FILES]

    def take(name: str, listed: set[int] | None) -> None:
        dg = FILES[name].dg
        if dg is not None and listed is not None and dg not in listed:
            absent.append(name)
            return
        data = session.read(name)
        if data is None:
            absent.append(name)
        else:
            files[name] = data

    com = session.read("EF.COM")
    listed: set[int] | None = None
    if com is not None:
        files["EF.COM"] = com
        try:
            listed = com_data_groups(com)
        except MalformedDataError:
            listed = None
    needs_dg14 = options.chip_authentication or options.active_authentication
    for name in ("EF.SOD", "DG14"):
        if name in wanted or (name == "DG14" and needs_dg14):
            take(name, listed)
    infos = session.chip_authentication(files.get("DG14"))
    for name in wanted:
        if name not in files and name not in absent and name != "EF.COM":
            take(name, listed)
    aa_result = session.active_authentication(files.get("DG15"), infos)
    if "DG14" not in options.files:
        files.pop("DG14", None)
    duration = (time.monotonic() - start) * 1000
    log.info(
        "chip read",
        extra={
            "step": "read",
            "outcome": "ok",
            "count": len(files),
            "duration_ms": round(duration),
        },
    )
    return ChipReadResult(
        access,
        files,
        tuple(absent),
        card_access,
        session.ca,  # after every re-establishment: a CA that failed later is FAILED
        aa_result,
        session.retries,
        duration,
        infos,
        {name: stats for name, stats in session.stats.items() if name in files},
    )
