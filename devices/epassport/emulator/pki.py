"""A test CSCA -> document signer (DSC) chain and EF.SOD signing (ICAO 9303-10 §4.6.2, 9303-12).

:class:`TestPKI` makes a self-signed country signing CA and a document signer it
certifies; :func:`sign_sod` writes EF.SOD: tag 77 around a CMS SignedData whose
eContent is an LDSSecurityObject with the hash of every data group, signed by the DSC
over DER signed attributes (contentType, messageDigest, signingTime). The demo and the
tests share it; nothing here is a production key.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from asn1crypto import algos, cms, core  # type: ignore[import-untyped]
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID

from devices.epassport import oids, tlv

SigningKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey


class DataGroupHash(core.Sequence):  # type: ignore[misc]
    _fields = [  # noqa: RUF012 - asn1crypto declares specs as class lists
        ("data_group_number", core.Integer),
        ("data_group_hash_value", core.OctetString),
    ]


class DataGroupHashValues(core.SequenceOf):  # type: ignore[misc]
    _child_spec = DataGroupHash


class LDSSecurityObject(core.Sequence):  # type: ignore[misc]
    _fields = [  # noqa: RUF012
        ("version", core.Integer),
        ("hash_algorithm", algos.DigestAlgorithm),
        ("data_group_hash_values", DataGroupHashValues),
    ]


def _name(country: str, organisation: str, common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, country),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _new_key(kind: str) -> SigningKey:
    if kind == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    curves: dict[str, ec.EllipticCurve] = {
        "secp256r1": ec.SECP256R1(),
        "secp384r1": ec.SECP384R1(),
        "brainpoolP256r1": ec.BrainpoolP256R1(),
        "brainpoolP384r1": ec.BrainpoolP384R1(),
    }
    return ec.generate_private_key(curves[kind])


@dataclass(frozen=True)
class TestPKI:
    """A country signing CA and one document signer. ``repr`` hides the keys."""

    __test__ = False  # not a pytest test class

    country: str
    csca_key: SigningKey
    csca: x509.Certificate
    dsc_key: SigningKey
    dsc: x509.Certificate

    def __repr__(self) -> str:
        return f"TestPKI({self.country}, CSCA serial {self.csca.serial_number:x})"

    @classmethod
    def generate(
        cls,
        *,
        not_before: datetime,
        country: str = "UT",
        organisation: str = "Gerbang Test",
        csca_key: str = "secp384r1",
        dsc_key: str = "secp256r1",
        csca_years: int = 15,
        dsc_years: int = 10,
    ) -> TestPKI:
        """A fresh chain valid from ``not_before`` (give an explicit, timezone-aware time)."""
        ca_key = _new_key(csca_key)
        ca_name = _name(country, organisation, f"{organisation} CSCA")
        ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
        csca = (
            x509.CertificateBuilder()
            .subject_name(ca_name)
            .issuer_name(ca_name)
            .public_key(ca_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before)
            .not_valid_after(not_before + timedelta(days=365 * csca_years))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(False, False, False, False, False, True, True, False, False),
                critical=True,
            )
            .add_extension(ca_ski, critical=False)
            .sign(ca_key, hashes.SHA256())
        )
        ds_key = _new_key(dsc_key)
        dsc = (
            x509.CertificateBuilder()
            .subject_name(_name(country, organisation, f"{organisation} Document Signer"))
            .issuer_name(ca_name)
            .public_key(ds_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before)
            .not_valid_after(not_before + timedelta(days=365 * dsc_years))
            .add_extension(
                x509.KeyUsage(True, False, False, False, False, False, False, False, False),
                critical=True,
            )
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski),
                critical=False,
            )
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(ds_key.public_key()), critical=False
            )
            .sign(ca_key, hashes.SHA256())
        )
        return cls(country, ca_key, csca, ds_key, dsc)

    @property
    def csca_der(self) -> bytes:
        return self.csca.public_bytes(serialization.Encoding.DER)

    def save(self, folder: Path) -> None:
        """Write the chain to ``folder`` (keys 0600): the demo's test issuer, kept across runs.

        ``csca.der`` is what a development trust store points at.
        """
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        pem = serialization.PrivateFormat.PKCS8
        for name, key in (("csca.key", self.csca_key), ("dsc.key", self.dsc_key)):
            raw = key.private_bytes(serialization.Encoding.PEM, pem, serialization.NoEncryption())
            fd = os.open(folder / name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(raw)
        (folder / "csca.der").write_bytes(self.csca_der)
        (folder / "dsc.certificate").write_bytes(self.dsc_der)  # not a trust-store suffix
        (folder / "country").write_text(self.country)

    @classmethod
    def load(cls, folder: Path) -> TestPKI:
        def key(name: str) -> SigningKey:
            loaded = serialization.load_pem_private_key((folder / name).read_bytes(), password=None)
            if not isinstance(loaded, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
                raise TypeError(f"{name}: unsupported key type")
            return loaded

        return cls(
            (folder / "country").read_text().strip(),
            key("csca.key"),
            x509.load_der_x509_certificate((folder / "csca.der").read_bytes()),
            key("dsc.key"),
            x509.load_der_x509_certificate((folder / "dsc.certificate").read_bytes()),
        )

    @classmethod
    def load_or_generate(
        cls, folder: Path, *, not_before: datetime, country: str = "UT"
    ) -> TestPKI:
        """The chain kept in ``folder`` (one per issuing country: a subfolder per country)."""
        here = folder / country
        if (here / "csca.der").is_file():
            return cls.load(here)
        pki = cls.generate(not_before=not_before, country=country)
        pki.save(here)
        return pki

    @property
    def dsc_der(self) -> bytes:
        return self.dsc.public_bytes(serialization.Encoding.DER)


def _sign(key: SigningKey, data: bytes, hash_name: str) -> tuple[bytes, str]:
    algorithm = {"sha256": hashes.SHA256(), "sha384": hashes.SHA384(), "sha512": hashes.SHA512()}[
        hash_name
    ]
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key.sign(data, ec.ECDSA(algorithm)), f"{hash_name}_ecdsa"
    return key.sign(data, padding.PKCS1v15(), algorithm), f"{hash_name}_rsa"


def sign_sod(
    pki: TestPKI,
    data_groups: dict[int, bytes],
    *,
    signing_time: datetime,
    hash_name: str = "sha256",
) -> bytes:
    """EF.SOD for these data groups (number -> full DG bytes), signed by the DSC."""
    lds = LDSSecurityObject(
        {
            "version": 0,
            "hash_algorithm": {"algorithm": hash_name},
            "data_group_hash_values": [
                {
                    "data_group_number": n,
                    "data_group_hash_value": hashlib.new(hash_name, data).digest(),
                }
                for n, data in sorted(data_groups.items())
            ],
        }
    )
    content = lds.dump()
    attrs = cms.CMSAttributes(
        [
            {"type": "content_type", "values": [oids.LDS_SECURITY_OBJECT]},
            {"type": "message_digest", "values": [hashlib.new(hash_name, content).digest()]},
            {"type": "signing_time", "values": [cms.Time({"utc_time": signing_time})]},
        ]
    )
    signature, signature_algorithm = _sign(pki.dsc_key, attrs.dump(), hash_name)
    dsc = asn1_x509.Certificate.load(pki.dsc_der)
    signer = cms.SignerInfo(
        {
            "version": "v1",
            "sid": cms.SignerIdentifier(
                {
                    "issuer_and_serial_number": {
                        "issuer": dsc.issuer,
                        "serial_number": dsc.serial_number,
                    }
                }
            ),
            "digest_algorithm": {"algorithm": hash_name},
            "signed_attrs": attrs,
            "signature_algorithm": {"algorithm": signature_algorithm},
            "signature": signature,
        }
    )
    signed = cms.SignedData(
        {
            "version": "v3",
            "digest_algorithms": [{"algorithm": hash_name}],
            "encap_content_info": {
                "content_type": oids.LDS_SECURITY_OBJECT,
                "content": cms.ParsableOctetString(content),
            },
            "certificates": [dsc],
            "signer_infos": [signer],
        }
    )
    info = cms.ContentInfo({"content_type": "signed_data", "content": signed})
    return tlv.encode(0x77, info.dump())
