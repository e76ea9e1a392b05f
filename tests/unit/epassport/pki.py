"""A throw-away eMRTD PKI for tests: CSCAs, DSCs, CRLs, EF.SOD files and master lists.

Keys are generated per test session (cached by label); certificates by
``cryptography``; CMS structures by asn1crypto, independently of the parsers
under test except for the LDSSecurityObject schema, which the dataset tests
check against real passports.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from asn1crypto import algos, cms, core  # type: ignore[import-untyped]
from asn1crypto import keys as ak
from asn1crypto import x509 as ax
from cryptography import x509 as cx
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils
from cryptography.x509.oid import NameOID

from devices.epassport import tlv
from devices.epassport.ec import multiply
from devices.epassport.ec_curves import CURVES
from devices.epassport.masterlist import CscaMasterListASN1
from devices.epassport.sod import LDSSecurityObjectASN1

T0 = datetime(2024, 1, 1, tzinfo=UTC)
YEAR = timedelta(days=365)


@dataclass(frozen=True)
class ArithKey:
    """An EC key on a curve ``cryptography`` lacks, signing with our own arithmetic (tests only)."""

    curve_name: str
    d: int

    @property
    def point(self) -> bytes:
        c = CURVES[self.curve_name]
        x, y = multiply(c, self.d, c.g) or (0, 0)
        size = (c.p.bit_length() + 7) // 8
        return b"\x04" + x.to_bytes(size, "big") + y.to_bytes(size, "big")

    def sign_digest(self, digest: bytes, k: int) -> tuple[int, int]:
        c = CURVES[self.curve_name]
        point = multiply(c, k, c.g)
        assert point is not None
        r = point[0] % c.n
        e = int.from_bytes(digest, "big") >> max(0, len(digest) * 8 - c.n.bit_length())
        s = pow(k, -1, c.n) * (e + r * self.d) % c.n
        return r, s

    def sign(self, data: bytes, hash_name: str = "sha256") -> bytes:
        digest = hashlib.new(hash_name, data).digest()
        k = int.from_bytes(hashlib.sha512(digest + self.d.to_bytes(64, "big")).digest(), "big")
        r, s = self.sign_digest(digest, k % (CURVES[self.curve_name].n - 1) + 1)
        return utils.encode_dss_signature(r, s)


Key = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ArithKey

_HASH = {
    "sha1": hashes.SHA1,
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}


@cache
def rsa_key(label: str, bits: int = 2048) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


@cache
def ec_key(label: str, curve: str = "brainpoolP256r1") -> ec.EllipticCurvePrivateKey:
    curves: dict[str, ec.EllipticCurve] = {
        "brainpoolP256r1": ec.BrainpoolP256R1(),
        "brainpoolP384r1": ec.BrainpoolP384R1(),
        "secp256r1": ec.SECP256R1(),
    }
    return ec.generate_private_key(curves[curve])


@dataclass
class Issued:
    key: Key
    der: bytes

    @property
    def cert(self) -> cx.Certificate:
        return cx.load_der_x509_certificate(self.der)

    @property
    def asn1(self) -> ax.Certificate:
        return ax.Certificate.load(self.der)


def name(cn: str, country: str) -> cx.Name:
    return cx.Name(
        [
            cx.NameAttribute(NameOID.COUNTRY_NAME, country),
            cx.NameAttribute(NameOID.ORGANIZATION_NAME, "Gerbang Test"),
            cx.NameAttribute(NameOID.COMMON_NAME, cn),
        ]
    )


def make_cert(
    cn: str,
    country: str,
    key: Key,
    issuer: Issued | None = None,
    *,
    ca: bool,
    not_before: datetime = T0,
    not_after: datetime = T0 + 10 * YEAR,
    serial: int | None = None,
    pss: bool = False,
    issuer_name: cx.Name | None = None,
    extensions: bool = True,
    key_usage: tuple[str, ...] | None = None,
    basic_constraints: bool | None = None,
) -> Issued:
    """A certificate with the ICAO 9303-12 profile: a CA gets basicConstraints cA = TRUE
    and keyUsage keyCertSign + cRLSign, an end entity keyUsage digitalSignature.
    ``extensions=False`` leaves both out (a legacy CSCA); ``key_usage`` replaces the bits;
    ``basic_constraints=True`` writes basicConstraints for an end entity too (cA = FALSE)."""
    signer_key = issuer.key if issuer else key
    issuer_dn = issuer_name or (issuer.cert.subject if issuer else name(cn, country))
    builder = (
        cx.CertificateBuilder()
        .subject_name(name(cn, country))
        .issuer_name(issuer_dn)
        .public_key(key.public_key())
        .serial_number(serial or cx.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(cx.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            cx.AuthorityKeyIdentifier.from_issuer_public_key(signer_key.public_key()),
            critical=False,
        )
    )
    if extensions and (ca or basic_constraints):
        constraints = cx.BasicConstraints(ca=ca, path_length=0 if ca else None)
        builder = builder.add_extension(constraints, critical=True)
    if extensions:
        usage = dict.fromkeys(
            (
                "digital_signature",
                "content_commitment",
                "key_encipherment",
                "data_encipherment",
                "key_agreement",
                "key_cert_sign",
                "crl_sign",
                "encipher_only",
                "decipher_only",
            ),
            False,
        )
        if key_usage is None:
            usage.update({"key_cert_sign": ca, "crl_sign": ca, "digital_signature": not ca})
        else:
            usage.update(dict.fromkeys(key_usage, True))
        builder = builder.add_extension(cx.KeyUsage(**usage), critical=True)
    extra: dict[str, Any] = {}
    if pss and isinstance(signer_key, rsa.RSAPrivateKey):
        extra["rsa_padding"] = padding.PSS(
            mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.DIGEST_LENGTH
        )
    cert = builder.sign(signer_key, hashes.SHA256(), **extra)
    return Issued(key, cert.public_bytes(serialization.Encoding.DER))


def specified_domain(curve_name: str) -> ak.SpecifiedECDomain:
    c = CURVES[curve_name]
    size = (c.p.bit_length() + 7) // 8
    return ak.SpecifiedECDomain(
        {
            "version": "ecdpVer1",
            "field_id": {"field_type": "prime_field", "parameters": c.p},
            "curve": {"a": c.a.to_bytes(size, "big"), "b": c.b.to_bytes(size, "big")},
            "base": b"\x04" + c.gx.to_bytes(size, "big") + c.gy.to_bytes(size, "big"),
            "order": c.n,
            "cofactor": c.h,
        }
    )


def sign_bytes(key: Key, data: bytes, hash_name: str = "sha256") -> bytes:
    if isinstance(key, ArithKey):
        return key.sign(data, hash_name)
    if isinstance(key, rsa.RSAPrivateKey):
        return key.sign(data, padding.PKCS1v15(), _HASH[hash_name]())
    return key.sign(data, ec.ECDSA(_HASH[hash_name]()))


def with_explicit_params(
    issued: Issued, signer: Issued, curve_name: str, key: ArithKey | None = None
) -> Issued:
    """The same certificate with its EC key re-encoded with explicit parameters, re-signed.

    With ``key``, the certificate's public key is replaced by that key's point.
    """
    cert = issued.asn1
    tbs = cert["tbs_certificate"]
    spki = tbs["subject_public_key_info"]
    point = key.point if key is not None else spki["public_key"]
    new_spki = ak.PublicKeyInfo(
        {
            "algorithm": {
                "algorithm": "ec",
                "parameters": ak.ECDomainParameters(
                    name="specified", value=specified_domain(curve_name)
                ),
            },
            "public_key": point,
        }
    )
    tbs_new = tbs.copy()
    tbs_new["subject_public_key_info"] = new_spki
    tbs_der = tbs_new.dump(force=True)
    signature = sign_bytes(signer.key, tbs_der)
    new = ax.Certificate(
        {
            "tbs_certificate": ax.TbsCertificate.load(tbs_der),
            "signature_algorithm": cert["signature_algorithm"],
            "signature_value": signature,
        }
    )
    return Issued(key or issued.key, new.dump(force=True))


def make_crl(ca: Issued, revoked: list[int], *, when: datetime = T0 + YEAR) -> bytes:
    builder = (
        cx.CertificateRevocationListBuilder()
        .issuer_name(ca.cert.subject)
        .last_update(when)
        .next_update(when + timedelta(days=90))
    )
    for serial in revoked:
        builder = builder.add_revoked_certificate(
            cx.RevokedCertificateBuilder().serial_number(serial).revocation_date(when).build()
        )
    crl = builder.sign(ca.key, hashes.SHA256())
    return crl.public_bytes(serialization.Encoding.DER)


def lds_security_object(dgs: dict[int, bytes], hash_name: str = "sha256") -> bytes:
    obj = LDSSecurityObjectASN1(
        {
            "version": 0,
            "hash_algorithm": {"algorithm": hash_name},
            "data_group_hash_values": [
                {
                    "data_group_number": n,
                    "data_group_hash_value": hashlib.new(hash_name, d).digest(),
                }
                for n, d in sorted(dgs.items())
            ],
        }
    )
    return bytes(obj.dump())


def signed_data(
    signer: Issued,
    content: bytes,
    content_type: str,
    *,
    hash_name: str = "sha256",
    signature: str = "auto",  # auto | rsa | pss | plain
    certificates: list[bytes] | None = None,
    attr_content_type: str | None = None,
    message_digest: bytes | None = None,
) -> bytes:
    """A CMS ContentInfo/SignedData over ``content`` signed by ``signer``."""
    cert = signer.asn1
    attrs = cms.CMSAttributes(
        [
            {"type": "content_type", "values": [attr_content_type or content_type]},
            {
                "type": "message_digest",
                "values": [message_digest or hashlib.new(hash_name, content).digest()],
            },
        ]
    )
    to_sign = attrs.dump()
    key = signer.key
    if signature == "pss":
        assert isinstance(key, rsa.RSAPrivateKey)
        sig = key.sign(
            to_sign,
            padding.PSS(mgf=padding.MGF1(_HASH[hash_name]()), salt_length=32),
            _HASH[hash_name](),
        )
        algorithm: dict[str, Any] = {
            "algorithm": "rsassa_pss",
            "parameters": {
                "hash_algorithm": {"algorithm": hash_name},
                "mask_gen_algorithm": {"algorithm": "mgf1", "parameters": {"algorithm": hash_name}},
                "salt_length": 32,
                "trailer_field": "trailer_field_bc",
            },
        }
    elif signature == "plain":
        assert isinstance(key, ec.EllipticCurvePrivateKey)
        r, s = utils.decode_dss_signature(key.sign(to_sign, ec.ECDSA(_HASH[hash_name]())))
        size = (key.curve.key_size + 7) // 8
        sig = r.to_bytes(size, "big") + s.to_bytes(size, "big")
        plain_oid = {"sha1": "1", "sha256": "3", "sha384": "4", "sha512": "5"}[hash_name]
        algorithm = {"algorithm": f"0.4.0.127.0.7.1.1.4.1.{plain_oid}"}
    else:
        sig = sign_bytes(key, to_sign, hash_name)
        kind = "rsa" if isinstance(key, rsa.RSAPrivateKey) else "ecdsa"
        algorithm = {"algorithm": f"{hash_name}_{kind}"}
    signer_info = cms.SignerInfo(
        {
            "version": "v1",
            "sid": cms.SignerIdentifier(
                name="issuer_and_serial_number",
                value={"issuer": cert.issuer, "serial_number": cert.serial_number},
            ),
            "digest_algorithm": {"algorithm": hash_name},
            "signed_attrs": attrs,
            "signature_algorithm": algos.SignedDigestAlgorithm(algorithm),
            "signature": sig,
        }
    )
    certs = [signer.der] if certificates is None else certificates
    fields: dict[str, Any] = {
        "version": "v3",
        "digest_algorithms": [{"algorithm": hash_name}],
        "encap_content_info": {
            "content_type": content_type,
            "content": core.ParsableOctetString(content),
        },
        "signer_infos": [signer_info],
    }
    if certs:
        fields["certificates"] = [ax.Certificate.load(c) for c in certs]
    data = cms.SignedData(fields)
    info = cms.ContentInfo({"content_type": "signed_data", "content": data})
    return bytes(info.dump())


def make_sod(signer: Issued, dgs: dict[int, bytes], **kwargs: Any) -> bytes:
    hash_name = kwargs.get("hash_name", "sha256")
    content = lds_security_object(dgs, hash_name)
    return tlv.encode(0x77, signed_data(signer, content, "2.23.136.1.1.1", **kwargs))


def make_master_list(
    signer: Issued, cscas: list[bytes], *, embedded: list[bytes] | None = None
) -> bytes:
    content = CscaMasterListASN1(
        {"version": 0, "cert_list": [ax.Certificate.load(c) for c in cscas]}
    ).dump()
    return signed_data(
        signer,
        bytes(content),
        "2.23.136.1.1.2",
        certificates=embedded if embedded is not None else [signer.der],
    )


def to_indefinite(der: bytes, depth: int = 3) -> bytes:
    """Re-encode constructed values down to ``depth`` levels with BER indefinite lengths."""
    out = b""
    for item in tlv.parse_all(der):
        raw_tag = tlv.encode_tag(item.tag)
        if item.constructed and depth > 0:
            out += raw_tag + b"\x80" + to_indefinite(item.value, depth - 1) + b"\x00\x00"
        else:
            out += der[item.offset : item.end]
    return out


# --------------------------------------------------------------------- LDS files


def dg1(mrz: str) -> bytes:
    return tlv.encode(0x61, tlv.encode(0x5F1F, mrz.encode("ascii")))


TD3_MRZ = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<L898902C36UTO7408122F1204159ZE184226B<<<<<10"
TD1_MRZ = (
    "I<UTOD231458907<<<<<<<<<<<<<<<7408122F1204159UTO<<<<<<<<<<<6ERIKSSON<<ANNA<MARIA<<<<<<<<<<"
)


def image_bytes(fmt: str, width: int = 40, height: int = 30) -> bytes:
    """A small gradient image encoded by Pillow ("JPEG" or "JPEG2000")."""
    import io

    import numpy as np
    from PIL import Image

    ramp = np.linspace(0, 255, width * height * 3).astype(np.uint8).reshape(height, width, 3)
    out = io.BytesIO()
    Image.fromarray(ramp).save(out, format=fmt)
    return out.getvalue()


def iso19794_record(images: list[tuple[int, bytes]], *, gender: int = 2) -> bytes:
    """An ISO/IEC 19794-5:2005 record; ``images`` holds (data type 0 JPEG / 1 JP2, bytes)."""
    blocks = b""
    for data_type, image in images:
        info = (20 + 12 + len(image)).to_bytes(4, "big") + b"\x00\x00" + bytes([gender])
        info += b"\x00" * 13  # eye, hair, feature mask, expression, pose, uncertainty
        image_info = bytes([1, data_type]) + (40).to_bytes(2, "big") + (30).to_bytes(2, "big")
        image_info += b"\x01\x02\x00\x00\x00\x00"
        blocks += info + image_info + image
    length = 14 + len(blocks)
    return b"FAC\x00010\x00" + length.to_bytes(4, "big") + len(images).to_bytes(2, "big") + blocks


def dg2(records: list[tuple[int, bytes]]) -> bytes:
    """DG2 around biometric data blocks: (tag 0x5F2E or 0x7F2E, record)."""
    header = tlv.encode(0xA1, tlv.encode(0x87, b"\x01\x01") + tlv.encode(0x88, b"\x00\x08"))
    templates = b"".join(tlv.encode(0x7F60, header + tlv.encode(tag, rec)) for tag, rec in records)
    group = tlv.encode(0x02, bytes([len(records)])) + templates
    return tlv.encode(0x75, tlv.encode(0x7F61, group))
