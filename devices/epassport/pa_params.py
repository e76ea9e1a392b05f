"""Limits and constants of the LDS parsers and of Passive Authentication, in one place.

Every parser checks its input against these bounds before doing any work, so
that a hostile chip or file cannot make us allocate or compute without bound.
"""

from __future__ import annotations

# ----------------------------------------------------------------- file sizes (bytes)
#: EF.SOD: CMS SignedData with one DSC. Real ones are 1.4-3 KB; a few embed chains.
MAX_SOD_BYTES = 64 * 1024
#: Any data group. DG2 with one face image is 10-40 KB; DG3 fingerprints reach ~150 KB.
MAX_DG_BYTES = 1024 * 1024
#: A CSCA master list (the German one is ~0.9 MB with ~600 certificates).
MAX_MASTER_LIST_BYTES = 16 * 1024 * 1024
#: A single certificate or CRL file in the trust store.
MAX_CERT_BYTES = 64 * 1024
MAX_CRL_BYTES = 8 * 1024 * 1024
#: Files read from one trust-store folder (a folder of PKD exports holds a few hundred).
MAX_TRUST_FILES = 10_000

# ----------------------------------------------------------------- structure bounds
#: Certificates embedded in one EF.SOD; ICAO expects exactly one DSC.
MAX_SOD_CERTIFICATES = 8
#: Signer infos in one SignedData; ICAO expects exactly one.
MAX_SIGNER_INFOS = 4
#: Data-group hashes in an LDSSecurityObject (DG1..DG16).
MAX_DG_HASHES = 16
#: Biometric records in DG2/DG7 (ICAO: a handful; we refuse absurd counts).
MAX_IMAGES_PER_GROUP = 16
#: Nesting depth we accept in BER before handing bytes to asn1crypto.
MAX_BER_DEPTH = 24

# ----------------------------------------------------------------- images
#: Decoded pixels per image (a 4000x4000 scan is already far above any DG2 portrait).
MAX_IMAGE_PIXELS = 16_000_000
#: Width or height in pixels.
MAX_IMAGE_SIDE = 8192

# ----------------------------------------------------------------- RSA
#: RSA moduli we verify with: below 1024 bits is broken, above 8192 is a DoS vector.
MIN_RSA_BITS = 1024
MAX_RSA_BITS = 8192
#: Prime-field sizes for explicit-parameter EC keys verified by our own arithmetic.
MIN_EC_FIELD_BITS = 160
MAX_EC_FIELD_BITS = 571
#: Curves with a cofactor above this are refused (every eMRTD curve has h = 1; SEC 1 allows 4).
EC_MAX_COFACTOR = 4
#: The group order of a custom curve has at least this many bits.
MIN_EC_ORDER_BITS = MIN_EC_FIELD_BITS - 8
#: Random Miller-Rabin bases on top of the 20 fixed ones (error below 4^-this per test).
MILLER_RABIN_RANDOM_ROUNDS = 16
#: Tonelli-Shanks tries this many candidates for a non-residue before refusing the field
#: (for a prime p the first candidate fails half the time; a composite p has none at all).
MAX_NONRESIDUE_SEARCH = 1000

# ----------------------------------------------------------------- DH (DG14, PACE)
#: Sizes of an explicit DH group (X9.42 domain parameters): the modulus p and the order q.
MIN_DH_BITS = 1024
MAX_DH_BITS = 4096
MIN_DH_ORDER_BITS = 160
