"""CMS SignedData (RFC 5652) as used by EF.SOD and by CSCA master lists.

:func:`parse_signed_data` reads everything a verifier needs into plain values
(BER indefinite lengths included), so that malformed input fails there with
:class:`~models.errors.MalformedDataError`. :func:`verify_signer` and
:func:`message_digest_matches` are the two cryptographic checks of a signer.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from asn1crypto import algos, cms, core  # type: ignore[import-untyped]

from devices.epassport import tlv
from devices.epassport.asn1_errors import asn1_guard
from devices.epassport.certinfo import CertInfo, name_key
from devices.epassport.pa_params import MAX_BER_DEPTH
from devices.epassport.signatures import SignatureOutcome, digest, verify_signature
from models.errors import MalformedDataError

OID_SIGNED_DATA = "1.2.840.113549.1.7.2"
OID_DATA = "1.2.840.113549.1.7.1"


@dataclass(frozen=True, slots=True)
class SignerData:
    """The one SignerInfo of an eMRTD SignedData, as plain values."""

    digest_algorithm: str  # asn1crypto name, e.g. "sha256"
    signature_algorithm: algos.SignedDigestAlgorithm
    signature: bytes
    # The bytes the signature covers: the DER SET OF signed attributes, as
    # received and (if that differs) re-encoded in DER; None when there are none.
    signed_attrs: tuple[bytes, ...] | None
    content_type_attr: str | None  # dotted OID of the content-type attribute
    message_digest: bytes | None
    signing_time: datetime | None
    sid_issuer_key: bytes | None  # normalised issuer DN (issuerAndSerialNumber)
    sid_serial: int | None
    sid_ski: bytes | None  # subjectKeyIdentifier form


@dataclass(frozen=True, slots=True)
class SignedData:
    content_type: str  # dotted OID of the encapsulated content
    content: bytes  # the encapsulated content octets
    certificates: tuple[CertInfo, ...]
    signer: SignerData


def check_ber_depth(data: bytes) -> None:
    """Check BER structure in one linear pass before asn1crypto sees it.

    asn1crypto recurses without a depth limit; this refuses nesting deeper than
    :data:`MAX_BER_DEPTH`, values running past their parent, primitive values
    with indefinite length and missing end-of-contents, in O(n) steps (a
    recursive walk re-parsing each subtree was O(n·depth): seconds on 64 KB).
    """
    pos = 0
    # One entry per open constructed value: (its end, or None if indefinite; the end
    # of the innermost definite-length ancestor, which bounds everything inside).
    stack: list[tuple[int | None, int]] = []
    while True:
        while stack and stack[-1][0] == pos:
            stack.pop()
        limit = stack[-1][1] if stack else len(data)
        if pos == len(data) and not stack:
            return
        if pos >= limit:
            raise MalformedDataError("truncated BER: value or end-of-contents missing")
        if stack and stack[-1][0] is None and data[pos : pos + 2] == b"\x00\x00":
            stack.pop()
            pos += 2
            continue
        tag, after_tag = tlv.read_tag(data, pos)
        length, pos = tlv.read_length(data, after_tag)
        constructed = bool(_first_byte(tag) & 0x20)
        if length is None:
            if not constructed:
                raise MalformedDataError(f"indefinite length on primitive tag {tag:X}")
            stack.append((None, limit))
        else:
            end = pos + length
            if end > limit:
                raise MalformedDataError(f"BER value of tag {tag:X} runs past its parent")
            if constructed:
                stack.append((end, end))
            else:
                pos = end
        if len(stack) > MAX_BER_DEPTH:
            raise MalformedDataError("ASN.1 nested too deeply")


def _first_byte(tag: int) -> int:
    return tag >> (8 * ((max(tag.bit_length(), 1) - 1) // 8))


def _attribute(attrs: cms.CMSAttributes, name: str) -> Any:
    values = [a["values"] for a in attrs if a["type"].native == name]
    if not values:
        return None
    if len(values) > 1 or len(values[0]) != 1:
        raise MalformedDataError(f"signed attribute {name} must occur once with one value")
    return values[0][0]


def _signed_attrs_encodings(attrs: cms.CMSAttributes) -> tuple[bytes, ...]:
    """The SET OF attributes the signature covers (RFC 5652 §5.4): tag 0x31, DER."""
    received = attrs.contents
    as_sent = b"\x31" + tlv.encode_length(len(received)) + received
    reencoded = cms.CMSAttributes.load(as_sent).dump(force=True)
    return (as_sent,) if reencoded == as_sent else (as_sent, reencoded)


def _signer(info: cms.SignerInfo) -> SignerData:
    sid = info["sid"]
    issuer_key = serial = ski = None
    if sid.name == "issuer_and_serial_number":
        issuer_key = name_key(sid.chosen["issuer"])
        serial = int(sid.chosen["serial_number"].native)
    else:
        ski = bytes(sid.chosen.native)
    attrs = info["signed_attrs"]
    encodings = content_type = message_digest = signing_time = None
    if attrs.contents:
        encodings = _signed_attrs_encodings(attrs)
        ct = _attribute(attrs, "content_type")
        content_type = ct.dotted if ct is not None else None
        md = _attribute(attrs, "message_digest")
        message_digest = bytes(md.native) if md is not None else None
        st = _attribute(attrs, "signing_time")
        signing_time = st.native if st is not None else None
    return SignerData(
        digest_algorithm=str(info["digest_algorithm"]["algorithm"].native),
        signature_algorithm=info["signature_algorithm"],
        signature=bytes(info["signature"].native),
        signed_attrs=encodings,
        content_type_attr=content_type,
        message_digest=message_digest,
        signing_time=signing_time,
        sid_issuer_key=issuer_key,
        sid_serial=serial,
        sid_ski=ski,
    )


def parse_signed_data(data: bytes, *, what: str, max_certificates: int) -> SignedData:
    """A ContentInfo holding SignedData with exactly one signer (ICAO 9303 p10 §4.6.2)."""
    check_ber_depth(data)
    with asn1_guard(what):
        info = cms.ContentInfo.load(data, strict=True)
        if info["content_type"].dotted != OID_SIGNED_DATA:
            raise MalformedDataError(f"{what} is not CMS SignedData")
        signed = info["content"]
        signers = signed["signer_infos"]
        if len(signers) != 1:
            raise MalformedDataError(f"{what} has {len(signers)} signers, expected 1")
        certs = signed["certificates"]
        count = 0 if isinstance(certs, core.Void) else len(certs)
        if count > max_certificates:
            raise MalformedDataError(f"{what} embeds {count} certificates")
        certificates = tuple(
            CertInfo(c.chosen).check() for c in (certs if count else []) if c.name == "certificate"
        )
        encap = signed["encap_content_info"]
        content_value = encap["content"]
        if content_value.native is None:
            raise MalformedDataError(f"{what} has no encapsulated content")
        content = bytes(content_value.__bytes__())
        signer = _signer(signers[0])
        # Touch the algorithm parameters now so that malformed ones fail here.
        _ = signer.signature_algorithm.native
        return SignedData(
            content_type=str(encap["content_type"].dotted),
            content=content,
            certificates=certificates,
            signer=signer,
        )


def find_signer_certificate(
    signed: SignedData, extra: tuple[CertInfo, ...] = ()
) -> CertInfo | None:
    """The certificate named by the signer's sid, among the embedded ones and ``extra``."""
    signer = signed.signer
    for cert in (*signed.certificates, *extra):
        if signer.sid_ski is not None:
            if cert.ski == signer.sid_ski:
                return cert
        elif cert.issuer_key == signer.sid_issuer_key and cert.serial == signer.sid_serial:
            return cert
    return None


def verify_signer(signed: SignedData, cert: CertInfo) -> SignatureOutcome:
    """The signer's signature over its signed attributes (or the content, if it has none)."""
    signer = signed.signer
    first, *others = signer.signed_attrs if signer.signed_attrs else (signed.content,)
    outcome = _verify_over(signer, cert, first)
    for message in others:
        if outcome.valid:
            break
        outcome = _verify_over(signer, cert, message)
    return outcome


def _verify_over(signer: SignerData, cert: CertInfo, message: bytes) -> SignatureOutcome:
    return verify_signature(
        cert.spki, signer.signature_algorithm, signer.signature, message, signer.digest_algorithm
    )


def message_digest_matches(signed: SignedData) -> bool:
    """The messageDigest attribute equals the digest of the encapsulated content."""
    expected = signed.signer.message_digest
    if expected is None:
        return False
    actual = digest(signed.signer.digest_algorithm, signed.content)
    return hmac.compare_digest(actual, expected)


def content_type_consistent(signed: SignedData) -> bool:
    """The content-type attribute is present and equals eContentType (RFC 5652 §11.1)."""
    return signed.signer.content_type_attr == signed.content_type
