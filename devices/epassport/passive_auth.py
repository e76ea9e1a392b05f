"""Passive Authentication (ICAO Doc 9303 Part 11 §5.1, Part 12): is the chip data genuine?

:func:`verify_passive` runs every check and reports each one separately:

=====================  ==============================================================
``sod_parsed``         EF.SOD is a well-formed CMS SignedData with an LDSSecurityObject
``dsc_found``          the Document Signer certificate (DSC) named by the signer is
                       embedded in EF.SOD (or was given as a single certificate)
``dsc_is_document_signer`` the DSC is an end-entity certificate (not cA = TRUE) whose
                       keyUsage allows digitalSignature
``signature_valid``    the DSC's signature over the signed attributes verifies
``message_digest_valid`` the messageDigest attribute equals the hash of the LDSSecurityObject
``content_type_valid`` the content-type attribute equals the encapsulated content type
``dsc_chain_valid``    a CSCA in the trust store verifies the DSC's signature, and that
                       CSCA may issue certificates (cA = TRUE and keyCertSign; see
                       :meth:`CertInfo.issuer_problem` for the one legacy tolerance)
``dsc_valid_at``       the DSC is within its validity period at the given time
``csca_valid_at``      that CSCA is within its validity period at the given time
``not_revoked``        no verified CRL of that CSCA revokes the DSC (``None``: no CRL given)
``country_matches``    DSC country = CSCA country = the document's issuing state
``required_dgs_checked`` every data group of ``required_dgs`` (default: DG1) was given
                       and its hash compared: a SOD alone proves nothing about a document
``dg_hashes``          each given data group hashes to the value in the LDSSecurityObject
=====================  ==============================================================

The result is valid only if every check is ``True`` (``not_revoked`` may be
``None`` when no CRL for the CSCA was given). Checks that cannot run because an
earlier one failed are ``False``. Nothing here reads files or the clock:
the caller passes bytes, a loaded :class:`~devices.epassport.trust.TrustStore`
and the time of verification.
"""

from __future__ import annotations

import hmac
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from devices.epassport.certinfo import CertInfo
from devices.epassport.cms import (
    content_type_consistent,
    find_signer_certificate,
    message_digest_matches,
    verify_signer,
)
from devices.epassport.countries import alpha2
from devices.epassport.lds import parse_dg1
from devices.epassport.signatures import SignatureOutcome, UnsupportedAlgorithmError, digest
from devices.epassport.sod import SecurityObject, parse_sod
from devices.epassport.trust import TrustedCert, TrustStore
from models.errors import DocumentError, MalformedDataError

log = logging.getLogger(__name__)

CHECKS = (
    "sod_parsed",
    "dsc_found",
    "dsc_is_document_signer",
    "signature_valid",
    "message_digest_valid",
    "content_type_valid",
    "dsc_chain_valid",
    "dsc_valid_at",
    "csca_valid_at",
    "not_revoked",
    "country_matches",
    "required_dgs_checked",
)
OPTIONAL_CHECKS = frozenset({"not_revoked"})  # None (no CRL) does not fail the result


@dataclass(frozen=True)
class PassiveAuthResult:
    at: datetime
    checks: dict[str, bool | None]
    dg_hashes_valid: dict[int, bool]
    problems: tuple[str, ...]  # machine codes for what failed, plus notes ("note:...")
    sod: SecurityObject | None = field(default=None, repr=False)
    signer: CertInfo | None = field(default=None, repr=False)
    csca: TrustedCert | None = field(default=None, repr=False)
    signature: SignatureOutcome | None = None

    @property
    def valid(self) -> bool:
        for name, value in self.checks.items():
            if value is False or (value is None and name not in OPTIONAL_CHECKS):
                return False
        return all(self.dg_hashes_valid.values())

    @property
    def hash_algorithm(self) -> str | None:
        return self.sod.hash_algorithm if self.sod else None

    def to_json(self) -> dict[str, Any]:
        """The JSON shape of ``gerbang doc verify --json``."""
        checks: dict[str, Any] = dict(self.checks)
        checks["dg_hashes"] = {str(n): ok for n, ok in sorted(self.dg_hashes_valid.items())}
        signer = self.signer.summary() if self.signer else None
        if signer is not None and self.signature is not None:
            signer["signature"] = {
                "algorithm": self.signature.algorithm,
                "verified_with": self.signature.method,
            }
        return {
            "passive_authentication": {
                "valid": self.valid,
                "checks": checks,
                "problems": list(self.problems),
                "at": self.at.isoformat(),
            },
            "hash_algorithm": self.hash_algorithm,
            "dg_hashes": {
                str(n): h.hex() for n, h in sorted((self.sod.dg_hashes if self.sod else {}).items())
            },
            "lds_version": self.sod.lds_version if self.sod else None,
            "signer": signer,
            "csca": self.csca.summary() if self.csca else None,
        }


class _Run:
    """The state of one verification: checks filled in as they are decided."""

    def __init__(self, at: datetime, dg_numbers: list[int]) -> None:
        self.at = at
        self.checks: dict[str, bool | None] = dict.fromkeys(CHECKS, False)
        self.checks["not_revoked"] = None
        self.dg: dict[int, bool] = dict.fromkeys(dg_numbers, False)
        self.problems: list[str] = []

    def fail(self, code: str) -> None:
        self.problems.append(code)

    def set(self, name: str, value: bool | None, problem: str) -> None:
        self.checks[name] = value
        if value is False:
            self.problems.append(problem)


def _check_signature(run: _Run, sod: SecurityObject, dsc: CertInfo) -> SignatureOutcome | None:
    try:
        outcome = verify_signer(sod.signed, dsc)
    except (MalformedDataError, UnsupportedAlgorithmError) as exc:
        run.set("signature_valid", False, f"signature_unverifiable:{exc.code}")
        return None
    run.set("signature_valid", outcome.valid, "signature_invalid")
    return outcome


def _choose_csca(run: _Run, dsc: CertInfo, trust: TrustStore) -> TrustedCert | None:
    verified: list[TrustedCert] = []
    refused: list[str] = []
    for candidate in trust.issuer_candidates(dsc):
        try:
            if not candidate.cert.verify_issued(dsc).valid:
                continue
        except (MalformedDataError, UnsupportedAlgorithmError):
            continue
        problem = candidate.issuer_problem()
        if problem is None:
            verified.append(candidate)
        else:
            refused.append(problem)
    if not verified:
        if refused:
            run.fail(f"csca_{refused[0]}")
        else:
            run.fail(
                "no_csca_verifies_dsc" if trust.issuer_candidates(dsc) else "csca_not_in_trust"
            )
        return None
    run.checks["dsc_chain_valid"] = True
    # Several certificates can carry the CSCA's key (the CSCA and its link certificates):
    # prefer one valid at the time, then a self-issued one.
    verified.sort(key=lambda t: (not t.cert.valid_at(run.at), not t.cert.self_issued))
    return verified[0]


def _check_revocation(run: _Run, dsc: CertInfo, csca: CertInfo, trust: TrustStore) -> None:
    usable = []
    for crl in trust.crls_for(csca):
        try:
            if crl.verify_with(csca).valid:
                usable.append(crl)
            else:
                run.fail("note:crl_signature_invalid")
        except (MalformedDataError, UnsupportedAlgorithmError):
            run.fail("note:crl_unverifiable")
    if not usable:
        return
    if not any(crl.current_at(run.at) for crl in usable):
        run.fail("note:crl_not_current")
    revoked = any(dsc.serial in crl.revoked and crl.revoked[dsc.serial] <= run.at for crl in usable)
    run.set("not_revoked", not revoked, "dsc_revoked")


def _document_country(run: _Run, issuing_country: str | None, dg1: bytes | None) -> str | None:
    if issuing_country is not None:
        return issuing_country
    if dg1 is None:
        return None
    try:
        return parse_dg1(dg1).issuing_state
    except MalformedDataError:
        run.fail("dg1_malformed")
        return None


def _check_country(run: _Run, dsc: CertInfo, csca: CertInfo | None, document: str | None) -> None:
    if dsc.country is None:
        run.set("country_matches", False, "dsc_country_missing")
        return
    if csca is not None and csca.country != dsc.country:
        run.set("country_matches", False, "dsc_csca_country_mismatch")
        return
    if document is not None:
        code = alpha2(document)
        if code is None:
            run.set("country_matches", False, "document_country_unknown")
            return
        if code != dsc.country:
            run.set("country_matches", False, "document_country_mismatch")
            return
    else:
        run.fail("note:document_country_not_given")
    run.checks["country_matches"] = True


def _check_required(run: _Run, required: tuple[int, ...]) -> None:
    missing = [n for n in required if n not in run.dg]
    for number in missing:
        run.fail(f"dg{number}_not_given")
    run.checks["required_dgs_checked"] = not missing  # whether each hash matched: dg_hashes


def _check_dg_hashes(run: _Run, sod: SecurityObject, dg_files: dict[int, bytes]) -> None:
    for number, data in sorted(dg_files.items()):
        expected = sod.dg_hashes.get(number)
        if expected is None:
            run.fail(f"dg{number}_not_in_sod")
            continue
        ok = hmac.compare_digest(digest(sod.hash_algorithm, data), expected)
        run.dg[number] = ok
        if not ok:
            run.fail(f"dg{number}_hash_mismatch")


def verify_passive(
    sod_bytes: bytes,
    dg_files: dict[int, bytes],
    trust: TrustStore,
    at: datetime,
    *,
    issuing_country: str | None = None,
    required_dgs: tuple[int, ...] = (1,),
) -> PassiveAuthResult:
    """Passive Authentication of one document at time ``at`` (timezone-aware).

    ``dg_files`` maps data-group numbers to the whole files as read (outer tag
    included). ``issuing_country`` is the issuing state from the MRZ (alpha-3,
    e.g. ``"IDN"``, or ICAO's ``"D"``); if not given, DG1 is used when present.
    ``required_dgs``: data groups that must be given and hash correctly for the
    result to be valid (DG1 by default: a valid signature on a SOD says nothing about
    a document whose data was not compared). ``()`` verifies the EF.SOD and its signer
    chain alone, for a caller that knows it holds no data groups (a SOD benchmark).
    Malformed input never raises: it fails ``sod_parsed`` (or the check concerned).
    """
    if at.tzinfo is None:
        raise ValueError("verification time must be timezone-aware")
    started = time.perf_counter()
    run = _Run(at, sorted(dg_files))
    sod = dsc = None
    csca: TrustedCert | None = None
    outcome: SignatureOutcome | None = None
    try:
        sod = parse_sod(sod_bytes)
    except DocumentError as exc:  # malformed, or an unsupported hash algorithm
        run.fail(f"sod_malformed:{exc.code}")
    if sod is not None:
        run.checks["sod_parsed"] = True
        dsc = find_signer_certificate(sod.signed, trust.document_signers)
        run.set("dsc_found", dsc is not None, "dsc_missing")
        if dsc is not None:
            problem = dsc.document_signer_problem()
            run.set("dsc_is_document_signer", problem is None, problem or "")
        run.set(
            "message_digest_valid", message_digest_matches(sod.signed), "message_digest_mismatch"
        )
        run.set("content_type_valid", content_type_consistent(sod.signed), "content_type_mismatch")
        if not sod.content_type_is_standard:
            run.fail("note:content_type_id_data")
        _check_dg_hashes(run, sod, dg_files)
        _check_required(run, required_dgs)
    if sod is not None and dsc is not None:
        outcome = _check_signature(run, sod, dsc)
        run.set("dsc_valid_at", dsc.valid_at(at), "dsc_not_valid_at_time")
        csca = _choose_csca(run, dsc, trust)
        if csca is not None:
            run.set("csca_valid_at", csca.cert.valid_at(at), "csca_not_valid_at_time")
            _check_revocation(run, dsc, csca.cert, trust)
        country = _document_country(run, issuing_country, dg_files.get(1))
        _check_country(run, dsc, csca.cert if csca else None, country)
    result = PassiveAuthResult(
        at=at,
        checks=run.checks,
        dg_hashes_valid=run.dg,
        problems=tuple(run.problems),
        sod=sod,
        signer=dsc,
        csca=csca,
        signature=outcome,
    )
    log.info(
        "passive authentication",
        extra={
            "outcome": "valid" if result.valid else "invalid",
            "reasons": [p for p in run.problems if not p.startswith("note:")],
            "duration_ms": round((time.perf_counter() - started) * 1000, 1),
        },
    )
    return result
