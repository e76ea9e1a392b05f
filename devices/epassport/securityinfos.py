"""SecurityInfos of EF.CardAccess, DG14 (and EF.CardSecurity): ICAO 9303-11 §9.2.

``SecurityInfos ::= SET OF SecurityInfo``; each ``SecurityInfo`` is a SEQUENCE of a
protocol OID, required data and optional data. We recognise PACEInfo,
PACEDomainParameterInfo, ChipAuthenticationInfo, ChipAuthenticationPublicKeyInfo and
ActiveAuthenticationInfo; other infos (TerminalAuthenticationInfo, CardInfoLocator...)
are kept by OID. Parsing is total: any input gives :class:`SecurityInfos` or raises
MalformedDataError (or UnsupportedProtocolError for a key we cannot use).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from asn1crypto import core  # type: ignore[import-untyped]

from devices.epassport import oids, tlv
from devices.epassport.asn1_errors import ASN1_ERRORS
from devices.epassport.domain import Domain
from devices.epassport.errors import UnsupportedProtocolError
from devices.epassport.publickeys import (
    DHPublicKey,
    ECPublicKey,
    parse_domain_parameters,
    parse_spki,
)
from models.errors import MalformedDataError

MAX_INFOS = 64
PACE_DOMAIN_PROTOCOLS = frozenset(f"{oids.ID_PACE}.{m}" for m in (1, 2, 3, 4, 6))


class _SecurityInfo(core.Sequence):  # type: ignore[misc]
    _fields = [  # noqa: RUF012 - asn1crypto declares specs as class lists
        ("protocol", core.ObjectIdentifier),
        ("required_data", core.Any),
        ("optional_data", core.Any, {"optional": True}),
    ]


class _SecurityInfos(core.SetOf):  # type: ignore[misc]
    _child_spec = _SecurityInfo


@dataclass(frozen=True, slots=True)
class PACEInfo:
    protocol: str
    version: int
    parameter_id: int | None

    @property
    def algorithm(self) -> oids.PaceAlgorithm | None:
        return oids.PACE_ALGORITHMS.get(self.protocol)


@dataclass(frozen=True, slots=True)
class PACEDomainParameterInfo:
    protocol: str
    domain: Domain
    parameter_id: int | None


@dataclass(frozen=True, slots=True)
class ChipAuthenticationInfo:
    protocol: str
    version: int
    key_id: int | None

    @property
    def algorithm(self) -> oids.CaAlgorithm | None:
        return oids.CA_ALGORITHMS.get(self.protocol)


@dataclass(frozen=True, slots=True)
class ChipAuthenticationPublicKeyInfo:
    protocol: str  # id-PK-DH or id-PK-ECDH
    key: ECPublicKey | DHPublicKey
    key_id: int | None


@dataclass(frozen=True, slots=True)
class ActiveAuthenticationInfo:
    version: int
    signature_algorithm: str


@dataclass(frozen=True, slots=True)
class SecurityInfos:
    pace: tuple[PACEInfo, ...] = ()
    pace_domains: tuple[PACEDomainParameterInfo, ...] = ()
    chip_authentication: tuple[ChipAuthenticationInfo, ...] = ()
    chip_authentication_keys: tuple[ChipAuthenticationPublicKeyInfo, ...] = ()
    active_authentication: ActiveAuthenticationInfo | None = None
    other: tuple[str, ...] = field(default=())  # OIDs we keep but do not interpret
    unusable: tuple[str, ...] = field(default=())  # infos we recognise but cannot use, by OID


def _integer(value: core.Asn1Value) -> int:
    number = core.Integer.load(value.dump(), strict=True).native
    if not isinstance(number, int) or number < 0 or number > 0xFFFFFFFF:
        raise MalformedDataError("SecurityInfo integer out of range")
    return number


def _optional_integer(value: core.Asn1Value | None) -> int | None:
    if value is None or isinstance(value, core.Void):
        return None
    return _integer(value)


def parse_security_infos(data: bytes) -> SecurityInfos:
    """Parse a DER ``SecurityInfos`` SET (the whole of EF.CardAccess, the content of DG14)."""
    pace: list[PACEInfo] = []
    domains: list[PACEDomainParameterInfo] = []
    ca: list[ChipAuthenticationInfo] = []
    ca_keys: list[ChipAuthenticationPublicKeyInfo] = []
    aa: ActiveAuthenticationInfo | None = None
    other: list[str] = []
    unusable: list[str] = []
    try:
        infos = _SecurityInfos.load(data, strict=True)
        if len(infos) > MAX_INFOS:
            raise MalformedDataError(f"more than {MAX_INFOS} SecurityInfos")
        for info in infos:
            oid = info["protocol"].dotted
            required = info["required_data"]
            optional = info["optional_data"]
            if optional is not None and isinstance(optional, core.Void):
                optional = None
            try:
                if oid in oids.PACE_ALGORITHMS:
                    pace.append(PACEInfo(oid, _integer(required), _optional_integer(optional)))
                elif oid in PACE_DOMAIN_PROTOCOLS:
                    domain = parse_domain_parameters(required.dump())
                    domains.append(
                        PACEDomainParameterInfo(oid, domain, _optional_integer(optional))
                    )
                elif oid in oids.CA_ALGORITHMS:
                    ca.append(
                        ChipAuthenticationInfo(oid, _integer(required), _optional_integer(optional))
                    )
                elif oid in (oids.ID_PK_DH, oids.ID_PK_ECDH):
                    key = parse_spki(required.dump())
                    if not isinstance(key, ECPublicKey | DHPublicKey):
                        raise MalformedDataError("a Chip Authentication key must be DH or EC")
                    ca_keys.append(
                        ChipAuthenticationPublicKeyInfo(oid, key, _optional_integer(optional))
                    )
                elif oid == oids.ID_AA:
                    if optional is None:
                        raise MalformedDataError(
                            "ActiveAuthenticationInfo without signature algorithm"
                        )
                    algorithm = core.ObjectIdentifier.load(optional.dump(), strict=True).dotted
                    aa = ActiveAuthenticationInfo(_integer(required), algorithm)
                else:
                    other.append(oid)
            except UnsupportedProtocolError:
                unusable.append(oid)
    except ASN1_ERRORS as exc:
        raise MalformedDataError("SecurityInfos do not parse") from exc
    return SecurityInfos(
        tuple(pace), tuple(domains), tuple(ca), tuple(ca_keys), aa, tuple(other), tuple(unusable)
    )


DG14_TAG = 0x6E


def parse_dg14(data: bytes) -> SecurityInfos:
    """DG14 is tag 6E around a SecurityInfos SET."""
    outer = tlv.parse_one(data)
    if outer.tag != DG14_TAG:
        raise MalformedDataError(f"DG14 starts with tag {outer.tag:X}, not 6E")
    return parse_security_infos(outer.value)


# ---------------------------------------------------------------- encoding (virtual chip)


def _info(protocol: str, required: core.Asn1Value, optional: core.Asn1Value | None = None) -> bytes:
    body = core.ObjectIdentifier(protocol).dump() + required.dump()
    if optional is not None:
        body += optional.dump()
    return tlv.encode(0x30, body)


def pace_info(protocol: str, parameter_id: int | None, version: int = 2) -> bytes:
    return _info(
        protocol,
        core.Integer(version),
        None if parameter_id is None else core.Integer(parameter_id),
    )


def chip_authentication_info(protocol: str, key_id: int | None, version: int = 1) -> bytes:
    return _info(protocol, core.Integer(version), None if key_id is None else core.Integer(key_id))


def chip_authentication_public_key_info(protocol: str, spki: bytes, key_id: int | None) -> bytes:
    return _info(protocol, core.Any.load(spki), None if key_id is None else core.Integer(key_id))


def active_authentication_info(signature_algorithm: str, version: int = 1) -> bytes:
    return _info(oids.ID_AA, core.Integer(version), core.ObjectIdentifier(signature_algorithm))


def encode_security_infos(infos: list[bytes]) -> bytes:
    """A DER SET OF the given SecurityInfo encodings (sorted, as DER requires)."""
    return tlv.encode(0x31, b"".join(sorted(infos)))
