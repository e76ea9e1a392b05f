"""Signature verification for the eMRTD PKI: certificates, CRLs, EF.SOD and master lists.

Covered (ICAO Doc 9303 Part 12 §4.4 and BSI TR-03111):

* RSA PKCS#1 v1.5 with SHA-1/224/256/384/512 (``sha*WithRSAEncryption``, or
  ``rsaEncryption`` with the digest given separately, as many SODs do);
* RSASSA-PSS with its parameters (hash, MGF1 hash, salt length; trailer 0xBC);
* ECDSA with SHA-1/224/256/384/512, X9.62 DER signatures (``ecdsa-with-SHA*``,
  or ``id-ecPublicKey`` with a separate digest) and BSI plain r||s signatures
  (``ecdsa-plain-SHA*``); keys on named curves or with explicit parameters
  (see :mod:`devices.epassport.ec_curves`).

A well-formed signature that does not verify is ``False``; an unknown algorithm
raises :class:`UnsupportedAlgorithmError`; a key or signature that does not
parse raises :class:`~models.errors.MalformedDataError`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from asn1crypto import algos  # type: ignore[import-untyped]
from asn1crypto import keys as asn1_keys
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils

from devices.epassport import ec as ec_math
from devices.epassport.asn1_errors import ASN1_ERRORS
from devices.epassport.pa_params import MAX_RSA_BITS, MIN_RSA_BITS
from devices.epassport.publickeys import ECPublicKey, ec_key_from_spki
from models.errors import DocumentError, MalformedDataError

_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha1": hashes.SHA1,
    "sha224": hashes.SHA224,
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
    "sha3_224": hashes.SHA3_224,
    "sha3_256": hashes.SHA3_256,
    "sha3_384": hashes.SHA3_384,
    "sha3_512": hashes.SHA3_512,
}

# OIDs asn1crypto does not name: BSI TR-03111 ecdsa-plain-signatures (r||s).
_PLAIN_ECDSA: dict[str, str] = {
    "0.4.0.127.0.7.1.1.4.1.1": "sha1",
    "0.4.0.127.0.7.1.1.4.1.2": "sha224",
    "0.4.0.127.0.7.1.1.4.1.3": "sha256",
    "0.4.0.127.0.7.1.1.4.1.4": "sha384",
    "0.4.0.127.0.7.1.1.4.1.5": "sha512",
}

# ecdsa (1.2.840.10045.4) and id-ecPublicKey, which some SODs put as the signature algorithm.
_EC_WITHOUT_DIGEST = frozenset({"1.2.840.10045.4", "1.2.840.10045.2.1"})

# Signature algorithm names (asn1crypto) that carry their own digest.
# Curves that cryptography (OpenSSL) verifies on directly; the others use our arithmetic.
_OPENSSL_CURVES: dict[str, type[ec.EllipticCurve]] = {
    "secp192r1": ec.SECP192R1,
    "secp224r1": ec.SECP224R1,
    "secp256r1": ec.SECP256R1,
    "secp384r1": ec.SECP384R1,
    "secp521r1": ec.SECP521R1,
    "secp256k1": ec.SECP256K1,
    "brainpoolP256r1": ec.BrainpoolP256R1,
    "brainpoolP384r1": ec.BrainpoolP384R1,
    "brainpoolP512r1": ec.BrainpoolP512R1,
}

_WITH_DIGEST: dict[str, tuple[str, str]] = {
    f"{h}_{kind}": (kind, h) for h in _HASHES for kind in ("rsa", "ecdsa")
}


class UnsupportedAlgorithmError(DocumentError):
    """A signature or digest algorithm we do not verify (``algorithm`` names it)."""

    code = "document.unsupported_algorithm"

    def __init__(self, algorithm: str) -> None:
        super().__init__(f"unsupported algorithm {algorithm}")
        self.algorithm = algorithm


@dataclass(frozen=True, slots=True)
class SignatureOutcome:
    """Whether a signature holds, and how it was checked (for reports and audits)."""

    valid: bool
    algorithm: str  # e.g. "rsassa-pss/sha256", "ecdsa/sha384"
    method: str  # "cryptography" or "explicit-curve arithmetic (brainpoolP224r1)"


def hash_algorithm(name: str) -> hashes.HashAlgorithm:
    cls = _HASHES.get(name)
    if cls is None:
        raise UnsupportedAlgorithmError(name)
    return cls()


def digest(name: str, data: bytes) -> bytes:
    h = hashes.Hash(hash_algorithm(name))
    h.update(data)
    return h.finalize()


def _pss_padding(params: Any) -> tuple[str, padding.PSS]:
    hash_name = params["hash_algorithm"]["algorithm"].native
    mgf = params["mask_gen_algorithm"]
    if mgf["algorithm"].native != "mgf1":
        raise UnsupportedAlgorithmError(f"PSS mask generation {mgf['algorithm'].dotted}")
    mgf_hash = mgf["parameters"]["algorithm"].native
    if params["trailer_field"].native not in ("trailer_field_bc", 1):
        raise UnsupportedAlgorithmError("PSS trailer field other than 0xBC")
    salt = int(params["salt_length"].native)
    return hash_name, padding.PSS(mgf=padding.MGF1(hash_algorithm(mgf_hash)), salt_length=salt)


def _load_rsa(spki: asn1_keys.PublicKeyInfo) -> rsa.RSAPublicKey:
    try:
        key = serialization.load_der_public_key(spki.dump())
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise MalformedDataError("RSA public key does not load") from exc
    if not isinstance(key, rsa.RSAPublicKey):
        raise MalformedDataError("key is not an RSA key")
    if not MIN_RSA_BITS <= key.key_size <= MAX_RSA_BITS:
        raise MalformedDataError(f"RSA key of {key.key_size} bits is out of range")
    return key


def _rsa_spki(spki: asn1_keys.PublicKeyInfo) -> asn1_keys.PublicKeyInfo:
    """RSA-PSS keys (id-RSASSA-PSS in the SPKI) re-labelled as rsaEncryption for loading."""
    if spki["algorithm"]["algorithm"].native == "rsassa_pss":
        return asn1_keys.PublicKeyInfo(
            {
                "algorithm": {"algorithm": "rsa", "parameters": None},
                "public_key": spki["public_key"],
            }
        )
    return spki


def _ecdsa_signature(signature: bytes, plain: bool, order: int) -> tuple[int, int]:
    if plain:
        size = (order.bit_length() + 7) // 8
        if len(signature) != 2 * size:
            raise MalformedDataError("plain ECDSA signature of the wrong length")
        return int.from_bytes(signature[:size], "big"), int.from_bytes(signature[size:], "big")
    try:
        r, s = utils.decode_dss_signature(signature)
    except ValueError as exc:
        raise MalformedDataError("ECDSA signature is not a DER Ecdsa-Sig-Value") from exc
    return r, s


def openssl_key(key: ECPublicKey) -> ec.EllipticCurvePublicKey | None:
    """The key on a named curve ``cryptography`` supports, or None (verify with :mod:`ec`)."""
    cls = _OPENSSL_CURVES.get(key.curve.name) if key.curve.standard else None
    if cls is None:
        return None
    try:
        return ec.EllipticCurvePublicNumbers(key.point[0], key.point[1], cls()).public_key()
    except ValueError as exc:
        raise MalformedDataError(f"EC point not on {key.curve.name}") from exc


def _verify_ec(
    spki: asn1_keys.PublicKeyInfo, signature: bytes, message: bytes, hash_name: str, plain: bool
) -> SignatureOutcome:
    label = f"ecdsa/{hash_name}"
    if spki.algorithm != "ec":
        return SignatureOutcome(False, label, f"key type mismatch ({spki.algorithm} key)")
    key = ec_key_from_spki(spki)
    r, s = _ecdsa_signature(signature, plain, key.curve.n)
    ossl = openssl_key(key)
    if ossl is not None:
        try:
            ossl.verify(
                utils.encode_dss_signature(r, s), message, ec.ECDSA(hash_algorithm(hash_name))
            )
        except InvalidSignature:
            return SignatureOutcome(False, label, "cryptography")
        how = f"cryptography ({key.curve.name}{', explicit parameters' if key.explicit else ''})"
        return SignatureOutcome(True, label, how)
    valid = ec_math.ecdsa_verify(key.curve, key.point, digest(hash_name, message), r, s)
    how = f"explicit-curve arithmetic ({key.named_curve or 'custom curve'})"
    return SignatureOutcome(valid, label, how)


def _verify_rsa(
    spki: asn1_keys.PublicKeyInfo,
    signature: bytes,
    message: bytes,
    hash_name: str,
    pad: padding.AsymmetricPadding,
    label: str,
) -> SignatureOutcome:
    if spki.algorithm not in ("rsa", "rsassa_pss"):
        return SignatureOutcome(False, label, f"key type mismatch ({spki.algorithm} key)")
    key = _load_rsa(_rsa_spki(spki))
    try:
        key.verify(signature, message, pad, hash_algorithm(hash_name))
    except InvalidSignature:
        return SignatureOutcome(False, label, "cryptography")
    return SignatureOutcome(True, label, "cryptography")


def verify_signature(
    spki: asn1_keys.PublicKeyInfo,
    algorithm: algos.SignedDigestAlgorithm,
    signature: bytes,
    message: bytes,
    digest_algorithm: str | None = None,
) -> SignatureOutcome:
    """Verify ``signature`` over ``message`` with ``spki`` under ``algorithm``.

    ``digest_algorithm`` (asn1crypto name, e.g. ``"sha256"``) is used when the
    signature algorithm names no digest of its own (``rsaEncryption``,
    ``id-ecPublicKey``), as a CMS SignerInfo allows.
    """
    oid = algorithm["algorithm"].dotted
    name = algorithm["algorithm"].native
    try:
        if oid in _PLAIN_ECDSA:
            return _verify_ec(spki, signature, message, _PLAIN_ECDSA[oid], plain=True)
        if name == "rsassa_pss":
            hash_name, pss = _pss_padding(algorithm["parameters"])
            return _verify_rsa(spki, signature, message, hash_name, pss, f"rsassa-pss/{hash_name}")
        if name in _WITH_DIGEST:
            kind, hash_name = _WITH_DIGEST[name]
        elif name == "rsassa_pkcs1v15" and digest_algorithm:
            kind, hash_name = "rsa", digest_algorithm
        elif oid in _EC_WITHOUT_DIGEST and digest_algorithm:
            kind, hash_name = "ecdsa", digest_algorithm
        else:
            raise UnsupportedAlgorithmError(f"signature algorithm {oid}")
        if kind == "ecdsa":
            return _verify_ec(spki, signature, message, hash_name, plain=False)
        pkcs = padding.PKCS1v15()
        return _verify_rsa(spki, signature, message, hash_name, pkcs, f"rsa-pkcs1v15/{hash_name}")
    except ASN1_ERRORS as exc:  # asn1crypto on malformed parameters
        raise MalformedDataError(f"signature parameters of {oid} do not parse") from exc
