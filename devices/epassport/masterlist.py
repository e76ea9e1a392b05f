"""CSCA master lists (ICAO Doc 9303 Part 12 §9): CMS SignedData over a set of CSCA certificates.

A master list is accepted only if

1. its CMS signature verifies with the embedded Master List Signer certificate,
   the messageDigest and content-type attributes match the content, and
2. the signer certificate chains (signature-verified, at most
   :data:`MAX_CHAIN` steps) either to a certificate the operator gave
   explicitly (``anchors``: the list is *anchored*), or to a self-signed CSCA
   inside the list itself (the list is only *self-consistent*: it proves the
   file is intact, not who made it, so pin the issuer's root where you can).

Otherwise :class:`MasterListError` is raised: a trust list that does not
verify must never be used silently.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from asn1crypto import core, x509  # type: ignore[import-untyped]

from devices.epassport.asn1_errors import asn1_guard
from devices.epassport.certinfo import CertInfo
from devices.epassport.cms import (
    check_ber_depth,
    content_type_consistent,
    find_signer_certificate,
    message_digest_matches,
    parse_signed_data,
    verify_signer,
)
from devices.epassport.pa_params import MAX_MASTER_LIST_BYTES
from devices.epassport.signatures import UnsupportedAlgorithmError
from models.errors import MalformedDataError, SecurityError

OID_CSCA_MASTER_LIST = "2.23.136.1.1.2"
MAX_CHAIN = 3  # signer <- CSCA (<- link <- older CSCA)
_MAX_EMBEDDED_CERTS = 16


class MasterListError(SecurityError):
    """A master list whose signature or signer chain does not verify (``source`` names it)."""

    code = "security.master_list"

    def __init__(self, message: str, *, source: str = "") -> None:
        super().__init__(f"{source}: {message}" if source else message)
        self.source = source


class _CertificateSet(core.SetOf):  # type: ignore[misc]
    _child_spec = x509.Certificate


class CscaMasterListASN1(core.Sequence):  # type: ignore[misc]
    """``CscaMasterList ::= SEQUENCE { version INTEGER, certList SET OF Certificate }``."""

    _fields: ClassVar[list[tuple[Any, ...]]] = [
        ("version", core.Integer),
        ("cert_list", _CertificateSet),
    ]


@dataclass(frozen=True, slots=True)
class MasterList:
    source: str
    version: int
    certificates: tuple[CertInfo, ...]
    signer: CertInfo
    chain: tuple[CertInfo, ...]  # from the signer's issuer up to where trust was reached
    anchored: bool
    signing_time: datetime | None
    signature_method: str

    @property
    def trust_level(self) -> str:
        return "anchored" if self.anchored else "self_consistent"

    def summary(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "certificates": len(self.certificates),
            "trust": self.trust_level,
            "signer": self.signer.subject,
            "signer_not_after": self.signer.not_after.isoformat(),
            "signing_time": self.signing_time.isoformat() if self.signing_time else None,
        }


def _issuers(
    cert: CertInfo, pool: Sequence[CertInfo], *, operator_anchors: bool = False
) -> list[CertInfo]:
    """CA certificates of ``pool`` whose key verifies ``cert``'s signature.

    A certificate that may not issue (no cA = TRUE or no keyCertSign; see
    :meth:`CertInfo.issuer_problem`) is never an issuer here either.
    """
    found = []
    for candidate in pool:
        if candidate.subject_key != cert.issuer_key:
            continue
        if candidate.issuer_problem(operator_anchor=operator_anchors) is not None:
            continue
        try:
            if candidate.verify_issued(cert).valid:
                found.append(candidate)
        except (MalformedDataError, UnsupportedAlgorithmError):
            continue
    return found


def _chain(
    cert: CertInfo, anchors: Sequence[CertInfo], pool: Sequence[CertInfo]
) -> tuple[tuple[CertInfo, ...], bool] | None:
    """A verified path from ``cert`` to an anchor (True) or to a self-signed CSCA of the list (False).

    The path lists the certificates above ``cert``; it is empty when ``cert``
    is itself an anchor or a self-signed CSCA listed in ``pool``.
    """
    anchor_prints = {a.fingerprint for a in anchors}
    pool_prints = {c.fingerprint for c in pool}
    path: list[CertInfo] = []
    current = cert
    for _ in range(MAX_CHAIN + 1):
        if current.fingerprint in anchor_prints:
            return tuple(path), True
        by_anchor = _issuers(current, anchors, operator_anchors=True)
        if by_anchor:
            return (*path, by_anchor[0]), True
        if current.self_issued and _issuers(current, [current]):
            return (tuple(path), False) if current.fingerprint in pool_prints else None
        issuers = [c for c in _issuers(current, pool) if c.fingerprint != current.fingerprint]
        if not issuers:
            return None
        current = issuers[0]
        path.append(current)
    return None


def parse_master_list(
    data: bytes, *, anchors: Sequence[CertInfo] = (), source: str = ""
) -> MasterList:
    """Parse and verify a CSCA master list (see the module docstring for what is checked)."""
    if len(data) > MAX_MASTER_LIST_BYTES:
        raise MalformedDataError(f"{source}: master list of {len(data)} bytes is too large")
    signed = parse_signed_data(data, what="master list", max_certificates=_MAX_EMBEDDED_CERTS)
    if signed.content_type != OID_CSCA_MASTER_LIST:
        raise MalformedDataError(f"{source}: CMS content {signed.content_type} is no master list")
    signer = find_signer_certificate(signed, tuple(anchors))
    if signer is None:
        raise MasterListError("the signer certificate is missing", source=source)
    outcome = verify_signer(signed, signer)
    if not outcome.valid:
        raise MasterListError("signature does not verify", source=source)
    if not message_digest_matches(signed) or not content_type_consistent(signed):
        raise MasterListError("signed attributes do not match the content", source=source)
    check_ber_depth(signed.content)
    with asn1_guard("master list content"):
        content = CscaMasterListASN1.load(signed.content, strict=True)
        version = int(content["version"].native)
        certificates = tuple(CertInfo(c) for c in content["cert_list"])
    chain = _chain(signer, anchors, (*signed.certificates, *certificates))
    if chain is None:
        raise MasterListError("the signer does not chain to a CSCA", source=source)
    path, anchored = chain
    return MasterList(
        source=source,
        version=version,
        certificates=certificates,
        signer=signer,
        chain=path,
        anchored=anchored,
        signing_time=signed.signer.signing_time,
        signature_method=outcome.method,
    )
