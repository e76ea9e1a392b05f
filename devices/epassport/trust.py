"""The CSCA trust store: CSCA certificates from master lists and single files, plus CRLs.

Sources, in the order :meth:`TrustStore.from_paths` loads them:

1. single certificates (DER or PEM). A CA certificate (a CSCA, a link
   certificate, or a master-list signer's root) is trusted as given, and is also
   an anchor against which master-list signers are chained. An end-entity
   certificate (a Document Signer given because an EF.SOD does not embed its own)
   goes to a list of its own: it is searched for a missing DSC, never used as an
   issuer;
2. CRLs (DER or PEM), kept per issuer; a CRL is used only after its signature
   verifies with the CSCA in question (see :mod:`devices.epassport.passive_auth`);
3. CSCA master lists, each verified by :func:`~devices.epassport.masterlist.parse_master_list`
   before any of its certificates is added.

Folders are searched recursively for ``.ml .cer .crt .der .pem .crl`` files.
Build the store once (a kiosk start, a CLI call) and share it: it is read-only
after loading and cheap to query.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from asn1crypto import crl, pem  # type: ignore[import-untyped]

from devices.epassport import tlv
from devices.epassport.asn1_errors import asn1_guard
from devices.epassport.certinfo import CertInfo, name_key
from devices.epassport.masterlist import MasterList, MasterListError, parse_master_list
from devices.epassport.pa_params import (
    MAX_CERT_BYTES,
    MAX_CRL_BYTES,
    MAX_MASTER_LIST_BYTES,
    MAX_TRUST_FILES,
)
from devices.epassport.signatures import SignatureOutcome, verify_signature
from models.errors import MalformedDataError

TRUST_SUFFIXES = frozenset({".ml", ".cer", ".crt", ".der", ".pem", ".crl"})
_OID_SIGNED_DATA_DER = bytes.fromhex("06092a864886f70d010702")


@dataclass(frozen=True, eq=False)
class CrlInfo:
    """A certificate revocation list, parsed; its signature is checked against a CSCA on use."""

    source: str
    issuer_key: bytes
    this_update: datetime
    next_update: datetime | None
    revoked: dict[int, datetime] = field(repr=False)  # serial -> revocation date
    _tbs: bytes = field(repr=False)
    _signature: bytes = field(repr=False)
    _algorithm: Any = field(repr=False)

    @classmethod
    def load(cls, data: bytes, *, source: str = "") -> CrlInfo:
        if len(data) > MAX_CRL_BYTES:
            raise MalformedDataError(f"{source}: CRL of {len(data)} bytes is too large")
        with asn1_guard(f"CRL {source}"):
            if pem.detect(data):
                _, _, data = pem.unarmor(data)
            lst = crl.CertificateList.load(data, strict=True)
            tbs = lst["tbs_cert_list"]
            revoked = {
                int(entry["user_certificate"].native): entry["revocation_date"].native
                for entry in tbs["revoked_certificates"]
            }
            next_update = tbs["next_update"].native
            return cls(
                source=source,
                issuer_key=name_key(tbs["issuer"]),
                this_update=tbs["this_update"].native,
                next_update=next_update,
                revoked=revoked,
                _tbs=bytes(tbs.dump()),
                _signature=bytes(lst["signature"].native),
                _algorithm=lst["signature_algorithm"],
            )

    def verify_with(self, issuer: CertInfo) -> SignatureOutcome:
        return verify_signature(issuer.spki, self._algorithm, self._signature, self._tbs)

    def current_at(self, at: datetime) -> bool:
        return self.this_update <= at and (self.next_update is None or at <= self.next_update)


@dataclass(eq=False)
class TrustedCert:
    """A CSCA (or link) certificate in the store, with where it came from.

    ``operator_anchor``: the operator gave this certificate as a file of its own (not
    only as an entry of a master list); see :meth:`CertInfo.issuer_problem`.
    """

    cert: CertInfo
    sources: list[str]
    operator_anchor: bool = False

    def issuer_problem(self) -> str | None:
        """Why this certificate may not issue a DSC; None when it may."""
        return self.cert.issuer_problem(operator_anchor=self.operator_anchor)

    def summary(self) -> dict[str, Any]:
        return {**self.cert.summary(), "sources": list(self.sources)}


@dataclass(frozen=True, slots=True)
class TrustSource:
    path: str
    kind: str  # "certificate", "document_signer", "crl", "master_list"
    certificates: int
    trust: str | None = None  # master lists: "anchored" or "self_consistent"


class TrustStore:
    """CSCA certificates indexed by subject, and CRLs indexed by issuer."""

    def __init__(self) -> None:
        self._by_subject: dict[bytes, list[TrustedCert]] = {}
        self._by_print: dict[str, TrustedCert] = {}
        self._crls: dict[bytes, list[CrlInfo]] = {}
        self._anchors: list[CertInfo] = []  # CA certificates given one by one
        self._document_signers: list[CertInfo] = []  # end-entity certificates given one by one
        self._sources: list[TrustSource] = []
        self._master_lists: list[MasterList] = []
        self._by_ski: dict[bytes, list[TrustedCert]] | None = None  # built on first use

    # ------------------------------------------------------------------ loading
    @classmethod
    def from_paths(
        cls, paths: Iterable[str | Path], *, require_anchored_lists: bool = False
    ) -> TrustStore:
        """Load certificates, CRLs and master lists from files and folders (see module doc)."""
        store = cls()
        files = _expand(paths)
        lists: list[tuple[Path, bytes]] = []
        for path in files:
            data = _read(path, MAX_MASTER_LIST_BYTES)
            kind = _sniff(data)
            if kind == "master_list":
                lists.append((path, data))
            elif kind == "crl":
                store.add_crl(data, source=str(path))
            elif len(data) > MAX_CERT_BYTES:
                raise MalformedDataError(
                    f"certificate {path} is larger than {MAX_CERT_BYTES} bytes"
                )
            else:
                store.add_certificate(CertInfo.load(data), source=str(path))
        for path, data in lists:
            store.add_master_list(data, source=str(path), require_anchored=require_anchored_lists)
        return store

    def add_certificate(self, cert: CertInfo, *, source: str) -> bool:
        """Trust a CA ``cert`` as a CSCA and master-list anchor, or keep an end-entity
        certificate as a Document Signer (never an issuer). False if already present."""
        cert.check()
        if cert.issuer_problem(operator_anchor=True) is not None:
            known = {c.fingerprint for c in self._document_signers}
            if cert.fingerprint not in known:
                self._document_signers.append(cert)
            self._sources.append(TrustSource(source, "document_signer", 1))
            return cert.fingerprint not in known
        added = self._add(cert, source, operator_anchor=True)
        if added:
            self._anchors.append(cert)
        self._sources.append(TrustSource(source, "certificate", 1))
        return added

    def add_crl(self, data: bytes, *, source: str) -> CrlInfo:
        info = CrlInfo.load(data, source=source)
        self._crls.setdefault(info.issuer_key, []).append(info)
        self._sources.append(TrustSource(source, "crl", 0))
        return info

    def add_master_list(
        self, data: bytes, *, source: str, require_anchored: bool = False
    ) -> MasterList:
        """Verify a master list against the certificates added so far, then add its CSCAs."""
        ml = parse_master_list(data, anchors=tuple(self._anchors), source=source)
        if require_anchored and not ml.anchored:
            raise MasterListError(
                "the signer chains only to a CSCA inside the list itself; "
                "give its root certificate with --trust",
                source=source,
            )
        count = sum(self._add(cert, source) for cert in ml.certificates)
        self._master_lists.append(ml)
        self._sources.append(TrustSource(source, "master_list", count, ml.trust_level))
        return ml

    def _add(self, cert: CertInfo, source: str, *, operator_anchor: bool = False) -> bool:
        known = self._by_print.get(cert.fingerprint)
        if known is not None:
            known.sources.append(source)
            known.operator_anchor = known.operator_anchor or operator_anchor
            if operator_anchor and cert.fingerprint not in {a.fingerprint for a in self._anchors}:
                self._anchors.append(cert)
            return False
        try:
            key = cert.subject_key
        except MalformedDataError:
            return False  # an unreadable certificate inside a signed list: it can match nothing
        entry = TrustedCert(cert, [source], operator_anchor)
        self._by_ski = None
        self._by_print[cert.fingerprint] = entry
        self._by_subject.setdefault(key, []).append(entry)
        return True

    # ------------------------------------------------------------------ queries
    def __len__(self) -> int:
        return len(self._by_print)

    @property
    def sources(self) -> tuple[TrustSource, ...]:
        return tuple(self._sources)

    @property
    def master_lists(self) -> tuple[MasterList, ...]:
        return tuple(self._master_lists)

    @property
    def anchors(self) -> tuple[CertInfo, ...]:
        """CA certificates given one by one (master-list signers chain to these)."""
        return tuple(self._anchors)

    @property
    def document_signers(self) -> tuple[CertInfo, ...]:
        """End-entity certificates given one by one: searched for a DSC an EF.SOD lacks."""
        return tuple(self._document_signers)

    def issuer_candidates(self, cert: CertInfo) -> list[TrustedCert]:
        """CSCAs whose subject is ``cert``'s issuer (by DN, else by key identifier)."""
        found = list(self._by_subject.get(cert.issuer_key, ()))
        if not found and cert.aki is not None:
            if self._by_ski is None:
                self._by_ski = {}
                for entry in self._by_print.values():
                    ski = _ski(entry.cert)
                    if ski is not None:
                        self._by_ski.setdefault(ski, []).append(entry)
            found = list(self._by_ski.get(cert.aki, ()))
        return found

    def crls_for(self, issuer: CertInfo) -> list[CrlInfo]:
        return list(self._crls.get(issuer.subject_key, ()))

    def summary(self) -> dict[str, Any]:
        return {
            "certificates": len(self),
            "crls": sum(len(v) for v in self._crls.values()),
            "sources": [_source(s) for s in self._sources],
        }


def _source(source: TrustSource) -> dict[str, Any]:
    return {
        "path": source.path,
        "kind": source.kind,
        "certificates": source.certificates,
        "trust": source.trust,
    }


def _ski(cert: CertInfo) -> bytes | None:
    try:
        return cert.ski
    except MalformedDataError:
        return None


def _expand(paths: Iterable[str | Path]) -> list[Path]:
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(
                p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in TRUST_SUFFIXES
            )
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            raise MalformedDataError(f"trust source {path} does not exist")
        if len(files) > MAX_TRUST_FILES:
            raise MalformedDataError(f"more than {MAX_TRUST_FILES} trust files")
    return files


def _read(path: Path, limit: int) -> bytes:
    try:
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        raise MalformedDataError(f"cannot read trust file {path}: {exc.strerror}") from exc
    if len(data) > limit:
        raise MalformedDataError(f"trust file {path} is larger than {limit} bytes")
    return data


def _sniff(data: bytes) -> str:
    """'master_list', 'crl' or 'certificate', from PEM armour or the DER structure."""
    if pem.detect(data):
        with asn1_guard("PEM file"):
            armor, _, _ = pem.unarmor(data)
        if "CRL" in armor:
            return "crl"
        if armor in ("CMS", "PKCS7"):
            return "master_list"
        return "certificate"
    if _OID_SIGNED_DATA_DER in data[:24]:
        return "master_list"
    # A CRL's TBS has thisUpdate (UTCTime 17 / GeneralizedTime 18) among its direct
    # children; a certificate's TBS keeps its times inside the validity SEQUENCE.
    tbs = tlv.parse_one(tlv.parse_one(data).value)
    if any(child.tag in (0x17, 0x18) for child in tbs.children()):
        return "crl"
    return "certificate"
