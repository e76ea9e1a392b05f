"""Issue a virtual ePassport: every file of the chip, signed by a test PKI, plus chip keys.

Reusable by the demo and the tests::

    pki = TestPKI.generate(not_before=datetime(2026, 1, 1, tzinfo=UTC))
    document = issue(mrz_lines, pki=pki, issued_at=..., face_jpeg=jpeg)
    chip = VirtualPassport(document)

The document carries EF.COM, EF.SOD, DG1, DG2 (ISO/IEC 19794-5 face record with the
caller's JPEG), DG11, DG12, DG14 (Chip Authentication key, PACE and AA infos), DG15
(Active Authentication key), optionally DG7, and EF.CardAccess when PACE is offered.
"""

from __future__ import annotations

import io
import secrets
from dataclasses import dataclass, field
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric import ec as crypto_ec
from cryptography.hazmat.primitives.asymmetric import rsa

from devices.epassport import oids, securityinfos
from devices.epassport.access_key import MRZKey
from devices.epassport.cipher import AES128, CipherSpec
from devices.epassport.domain import DHDomain, Domain, ECDomain, standard_domain
from devices.epassport.ec import decode_point
from devices.epassport.ec_curves import CURVES
from devices.epassport.emulator import records
from devices.epassport.emulator.pki import TestPKI, sign_sod
from devices.epassport.publickeys import DHPublicKey, ECPublicKey, RSAPublicKey, encode_spki

AAKey = rsa.RSAPrivateKey | crypto_ec.EllipticCurvePrivateKey


@dataclass(frozen=True, slots=True)
class PaceOffer:
    """One PACEInfo of EF.CardAccess: standardized domain parameters and a cipher (GM)."""

    parameter_id: int
    cipher: CipherSpec = AES128

    @property
    def domain(self) -> Domain:
        return standard_domain(self.parameter_id)

    @property
    def oid(self) -> str:
        return oids.pace_oid(self.domain.kind, self.cipher)


@dataclass(frozen=True, slots=True, repr=False)
class ChipCAKey:
    domain: Domain
    private: int
    public: bytes
    algorithm: str  # id-CA-... OID
    key_id: int | None = None

    def __repr__(self) -> str:
        return f"ChipCAKey({self.domain.name})"


@dataclass(frozen=True, repr=False)
class IssuedDocument:
    mrz_lines: tuple[str, ...]
    access_key: MRZKey
    can: str
    files: dict[str, bytes]  # "EF.CardAccess", "EF.COM", "EF.SOD", "DG1", ...
    pace: tuple[PaceOffer, ...]
    aa_key: AAKey | None
    ca_key: ChipCAKey | None
    pki: TestPKI
    extra: dict[str, str] = field(default_factory=dict)

    def __repr__(self) -> str:
        return f"IssuedDocument(files={sorted(self.files)})"

    @property
    def data_groups(self) -> dict[int, bytes]:
        return {int(name[2:]): data for name, data in self.files.items() if name.startswith("DG")}


def _image_size(jpeg: bytes) -> tuple[int, int]:
    from PIL import Image

    with Image.open(io.BytesIO(jpeg)) as image:
        width, height = image.size
    return int(width), int(height)


def new_aa_key(kind: str) -> AAKey:
    """``rsa`` (1536-bit: its signature fits a short APDU under secure messaging) or ``ec``."""
    if kind == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=1536)  # noqa: S505 - test chip; fits short APDUs
    return crypto_ec.generate_private_key(crypto_ec.SECP256R1())


def new_ca_key(
    kind: str = "ecdh", cipher: CipherSpec = AES128, key_id: int | None = None
) -> ChipCAKey:
    domain: Domain = ECDomain(CURVES["brainpoolP256r1"]) if kind == "ecdh" else standard_domain(2)
    private, public = domain.generate()
    return ChipCAKey(domain, private, public, oids.ca_oid(domain.kind, cipher), key_id)


def _aa_spki(key: AAKey) -> bytes:
    if isinstance(key, rsa.RSAPrivateKey):
        numbers = key.public_key().public_numbers()
        return encode_spki(RSAPublicKey(numbers.n, numbers.e))
    point = key.public_key().public_numbers()
    return encode_spki(ECPublicKey(CURVES["secp256r1"], (point.x, point.y)), explicit=False)


def _ca_spki(key: ChipCAKey) -> bytes:
    if isinstance(key.domain, ECDomain):
        return encode_spki(
            ECPublicKey(key.domain.curve, decode_point(key.domain.curve, key.public))
        )
    if not isinstance(key.domain, DHDomain):
        raise TypeError("a Chip Authentication key is EC or DH")
    return encode_spki(DHPublicKey(key.domain.group, int.from_bytes(key.public, "big")))


def random_can() -> str:
    return f"{secrets.randbelow(1_000_000):06d}"


def issue(
    mrz_lines: list[str],
    *,
    pki: TestPKI,
    issued_at: datetime,
    face_jpeg: bytes,
    pace: tuple[PaceOffer, ...] = (PaceOffer(13, AES128),),
    aa_key: AAKey | None = None,
    ca_key: ChipCAKey | None = None,
    dg11: dict[str, str] | None = None,
    dg12: dict[str, str] | None = None,
    signature_image: bytes | None = None,
    can: str | None = None,
    hash_name: str = "sha256",
) -> IssuedDocument:
    """Every file of a chip for this MRZ. ``aa_key``/``ca_key`` None: no AA / no CA."""
    access_key = MRZKey.from_mrz(mrz_lines)
    width, height = _image_size(face_jpeg)
    groups: dict[int, bytes] = {1: records.dg1(mrz_lines), 2: records.dg2(face_jpeg, width, height)}
    if signature_image is not None:
        groups[7] = records.dg7(signature_image)
    groups[11] = records.dg11(dg11 if dg11 is not None else {"place_of_birth": "JAKARTA"})
    groups[12] = records.dg12(
        dg12
        if dg12 is not None
        else {"issuing_authority": "GERBANG TEST", "date_of_issue": issued_at.strftime("%Y%m%d")}
    )
    pace_infos = [securityinfos.pace_info(offer.oid, offer.parameter_id) for offer in pace]
    dg14_infos = list(pace_infos)
    if ca_key is not None:
        protocol = oids.ID_PK_ECDH if isinstance(ca_key.domain, ECDomain) else oids.ID_PK_DH
        dg14_infos.append(securityinfos.chip_authentication_info(ca_key.algorithm, ca_key.key_id))
        dg14_infos.append(
            securityinfos.chip_authentication_public_key_info(
                protocol, _ca_spki(ca_key), ca_key.key_id
            )
        )
    if isinstance(aa_key, crypto_ec.EllipticCurvePrivateKey):
        dg14_infos.append(securityinfos.active_authentication_info(f"{oids.ECDSA_PLAIN}.3"))
    if dg14_infos:
        groups[14] = records.dg14(securityinfos.encode_security_infos(dg14_infos))
    if aa_key is not None:
        groups[15] = records.dg15(_aa_spki(aa_key))
    files = {f"DG{n}": data for n, data in groups.items()}
    files["EF.COM"] = records.ef_com(sorted(groups))
    files["EF.SOD"] = sign_sod(pki, groups, signing_time=issued_at, hash_name=hash_name)
    if pace:
        files["EF.CardAccess"] = securityinfos.encode_security_infos(pace_infos)
    return IssuedDocument(
        tuple(mrz_lines), access_key, can or random_can(), files, tuple(pace), aa_key, ca_key, pki
    )
