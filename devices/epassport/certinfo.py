"""X.509 certificates of the eMRTD PKI (CSCA, DSC, master-list signer), parsed once.

:class:`CertInfo` reads every field Passive Authentication needs at
construction, so that malformed certificates fail there with
:class:`~models.errors.MalformedDataError` and never later in a check.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from functools import cached_property
from typing import Any

from asn1crypto import algos, pem, x509  # type: ignore[import-untyped]
from asn1crypto import keys as asn1_keys

from devices.epassport.asn1_errors import asn1_guard
from devices.epassport.publickeys import ec_key_from_spki
from devices.epassport.signatures import SignatureOutcome, verify_signature
from models.errors import DocumentError, MalformedDataError


class CertInfo:
    """One certificate. Fields are parsed on first use (a master list holds ~600 of them).

    Call :meth:`check` on untrusted certificates to parse every field up front.
    Every field raises :class:`~models.errors.MalformedDataError` if it does not parse.
    """

    def __init__(self, cert: x509.Certificate) -> None:
        self.cert = cert
        with asn1_guard("certificate"):
            self.der: bytes = cert.dump()

    @classmethod
    def load(cls, data: bytes) -> CertInfo:
        """A certificate from DER or PEM bytes, fully parsed."""
        with asn1_guard("certificate"):
            if pem.detect(data):
                _, _, data = pem.unarmor(data)
            cert = x509.Certificate.load(data, strict=True)
        return cls(cert).check()

    def check(self) -> CertInfo:
        """Parse every field now; raises MalformedDataError if any does not parse."""
        _ = (self.subject_der, self.issuer_der, self.subject_key, self.issuer_key)
        _ = (self.subject, self.issuer, self.serial, self.not_before, self.not_after)
        _ = (self.ski, self.aki, self.country, self.issuer_country, self.is_ca, self.key_usage)
        _ = self.has_basic_constraints
        _ = (self.spki, self.signature_algorithm, self.signature, self.tbs)
        _ = self.key_description
        return self

    def __repr__(self) -> str:
        return f"CertInfo({self.fingerprint[:16]})"

    @cached_property
    def fingerprint(self) -> str:
        return hashlib.sha256(self.der).hexdigest()

    @cached_property
    def subject_der(self) -> bytes:
        with asn1_guard("certificate subject"):
            return bytes(self.cert.subject.dump())

    @cached_property
    def issuer_der(self) -> bytes:
        with asn1_guard("certificate issuer"):
            return bytes(self.cert.issuer.dump())

    @cached_property
    def subject_key(self) -> bytes:
        with asn1_guard("certificate subject"):
            return name_key(self.cert.subject)

    @cached_property
    def issuer_key(self) -> bytes:
        with asn1_guard("certificate issuer"):
            return name_key(self.cert.issuer)

    @cached_property
    def subject(self) -> str:
        with asn1_guard("certificate subject"):
            return str(self.cert.subject.human_friendly)

    @cached_property
    def issuer(self) -> str:
        with asn1_guard("certificate issuer"):
            return str(self.cert.issuer.human_friendly)

    @cached_property
    def country(self) -> str | None:
        with asn1_guard("certificate subject"):
            return name_country(self.cert.subject)

    @cached_property
    def issuer_country(self) -> str | None:
        with asn1_guard("certificate issuer"):
            return name_country(self.cert.issuer)

    @cached_property
    def serial(self) -> int:
        with asn1_guard("certificate serial number"):
            return int(self.cert.serial_number)

    @cached_property
    def not_before(self) -> datetime:
        return self._time("not_before")

    @cached_property
    def not_after(self) -> datetime:
        return self._time("not_after")

    def _time(self, which: str) -> datetime:
        with asn1_guard("certificate validity"):
            value = self.cert["tbs_certificate"]["validity"][which].native
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise MalformedDataError(f"certificate {which} is not a time")
        return value

    @cached_property
    def ski(self) -> bytes | None:
        with asn1_guard("certificate extensions"):
            value = self.cert.key_identifier
        return bytes(value) if isinstance(value, bytes) else None

    @cached_property
    def aki(self) -> bytes | None:
        with asn1_guard("certificate extensions"):
            value = self.cert.authority_key_identifier
        return bytes(value) if isinstance(value, bytes) else None

    @cached_property
    def is_ca(self) -> bool:
        """basicConstraints says cA = TRUE."""
        with asn1_guard("certificate extensions"):
            constraints = self.cert.basic_constraints_value
            return bool(constraints is not None and constraints["ca"].native)

    @cached_property
    def has_basic_constraints(self) -> bool:
        with asn1_guard("certificate extensions"):
            return self.cert.basic_constraints_value is not None

    @cached_property
    def key_usage(self) -> frozenset[str] | None:
        """The keyUsage bits set (asn1crypto names), None when the extension is absent."""
        with asn1_guard("certificate extensions"):
            value = self.cert.key_usage_value
            return None if value is None else frozenset(str(bit) for bit in value.native)

    @cached_property
    def self_signed(self) -> bool:
        """Self-issued and its signature verifies with its own key."""
        if not self.self_issued:
            return False
        try:
            return self.verify_issued(self).valid
        except (MalformedDataError, DocumentError):
            return False

    def issuer_problem(self, *, operator_anchor: bool = False) -> str | None:
        """Why this certificate may not sign other certificates; None when it may.

        A CSCA or link certificate must say cA = TRUE (basicConstraints) and carry
        keyCertSign (keyUsage), as ICAO 9303-12 §7.1.1 requires. One tolerance, for
        CSCAs issued before those extensions were enforced: a self-signed certificate
        that the operator trusted one by one (``operator_anchor``: a certificate file,
        not a master-list entry) may lack either extension, but may not contradict it
        (cA = FALSE, or a keyUsage without keyCertSign).
        """
        usage = self.key_usage
        if usage is not None and "key_cert_sign" not in usage:
            return "issuer_without_key_cert_sign"
        if self.is_ca and usage is not None:
            return None
        contradicts = self.has_basic_constraints and not self.is_ca
        if operator_anchor and not contradicts and self.self_signed:
            return None
        return "issuer_not_a_ca"

    def document_signer_problem(self) -> str | None:
        """Why this certificate cannot be a Document Signer; None when it can.

        A DSC is an end-entity certificate (no cA = TRUE) whose keyUsage allows
        digitalSignature (ICAO 9303-12 §7.1.1: keyUsage is mandatory for a DSC).
        """
        if self.is_ca:
            return "dsc_is_a_ca"
        usage = self.key_usage
        if usage is None or "digital_signature" not in usage:
            return "dsc_without_digital_signature"
        return None

    @cached_property
    def spki(self) -> asn1_keys.PublicKeyInfo:
        with asn1_guard("certificate public key"):
            spki = self.cert.public_key
            _ = spki.algorithm
        return spki

    @cached_property
    def signature_algorithm(self) -> algos.SignedDigestAlgorithm:
        with asn1_guard("certificate signature algorithm"):
            algorithm = self.cert["signature_algorithm"]
            _ = algorithm["algorithm"].dotted
        return algorithm

    @cached_property
    def signature(self) -> bytes:
        with asn1_guard("certificate signature"):
            return bytes(self.cert["signature_value"].native)

    @cached_property
    def tbs(self) -> bytes:
        with asn1_guard("certificate"):
            return bytes(self.cert["tbs_certificate"].dump())

    @cached_property
    def key_description(self) -> str:
        return _describe_key(self.spki)

    @property
    def self_issued(self) -> bool:
        return self.subject_key == self.issuer_key

    def valid_at(self, at: datetime) -> bool:
        return self.not_before <= at <= self.not_after

    def verify_issued(self, child: CertInfo) -> SignatureOutcome:
        """Whether ``child`` carries a valid signature by this certificate's key."""
        return verify_signature(self.spki, child.signature_algorithm, child.signature, child.tbs)

    def summary(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "issuer": self.issuer,
            "serial": format(self.serial, "x"),
            "country": self.country,
            "not_before": self.not_before.isoformat(),
            "not_after": self.not_after.isoformat(),
            "key": self.key_description,
            "signature_algorithm": self.signature_algorithm["algorithm"].native,
            "sha256": self.fingerprint,
        }


def name_country(name: x509.Name) -> str | None:
    """The countryName of a DN, upper case, or ``None``."""
    for rdn in name.chosen:
        for atv in rdn:
            if atv["type"].dotted == "2.5.4.6":
                value = str(atv["value"].native).strip().upper()
                return value or None
    return None


def name_key(name: x509.Name) -> bytes:
    """A DN normalised for matching issuer to subject (RFC 5280 §7.1, simplified).

    Attribute values are case-folded with runs of white space collapsed, which
    covers the differences seen in eMRTD PKIs (e.g. ``C=gb`` against ``C=GB``);
    asn1crypto's full LDAP string preparation is ten times slower.
    """
    parts: list[str] = []
    for rdn in name.chosen:
        attrs = sorted(
            f"{atv['type'].dotted}={' '.join(str(atv['value'].native).casefold().split())}"
            for atv in rdn
        )
        parts.append("+".join(attrs))
    return "\x1e".join(parts).encode()


def _describe_key(spki: asn1_keys.PublicKeyInfo) -> str:
    algorithm = spki.algorithm
    if algorithm == "ec":
        try:
            key = ec_key_from_spki(spki)
        except MalformedDataError:
            return "ec (unreadable parameters)"
        name = key.named_curve or f"custom {key.curve.p.bit_length()}-bit curve"
        return f"ec {name}{' (explicit parameters)' if key.explicit else ''}"
    if algorithm in ("rsa", "rsassa_pss"):
        return f"{algorithm} {spki.bit_size}"
    return str(algorithm)
