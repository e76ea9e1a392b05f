"""The virtual ePassport as a configurable applet for the virtual readers.

In a devices settings file::

    [[devices.device]]
    id = "passport-reader"
    kind = "card_reader"
    backend = "virtual-vpcd"
    options = { applet = "epassport", applet_options = { mrz = ["P<UTO...", "L898..."], face = "face.jpg" } }

``pki_dir`` keeps the test issuers (a CSCA and document signer per issuing
country, in ``<pki_dir>/<alpha-2>/``) between runs so that a development trust
store can point at their ``csca.der``; relative paths start at the settings
file's folder.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from devices.epassport.countries import alpha2
from devices.epassport.emulator.chip import VirtualPassport
from devices.epassport.emulator.faults import ChipFaults
from devices.epassport.emulator.pki import TestPKI
from devices.epassport.emulator.virtual import SPECIMEN_TD3, make_virtual_passport
from models.errors import ConfigError

FAULT_NAMES = ("wrong-mac-once", "slow", "tamper-dg2", "aa-clone", "ca-clone", "removed")


def faults_from(names: Sequence[str]) -> ChipFaults:
    unknown = sorted(set(names) - set(FAULT_NAMES))
    if unknown:
        raise ConfigError(
            f"unknown chip faults {unknown}; known: {', '.join(FAULT_NAMES)}", key="faults"
        )
    return ChipFaults(
        wrong_mac=1 if "wrong-mac-once" in names else 0,
        wrong_mac_after=3,
        slow_s=0.05 if "slow" in names else 0.0,
        tamper_dg=2 if "tamper-dg2" in names else None,
        aa_clone="aa-clone" in names,
        ca_clone="ca-clone" in names,
        remove_after_bytes=4000 if "removed" in names else None,
    )


def epassport_applet(
    *,
    mrz: Sequence[str] = SPECIMEN_TD3,
    profile: str = "pace",
    face: str | None = None,
    can: str | None = None,
    pki_dir: str = "virtual-pki",
    faults: Sequence[str] = (),
    base_dir: Path | None = None,
) -> VirtualPassport:
    if profile not in ("pace", "bac"):
        raise ConfigError(f"profile must be 'pace' or 'bac', not {profile!r}", key="profile")
    root = base_dir or Path.cwd()
    now = datetime.now(UTC)
    pki_path = Path(pki_dir) if Path(pki_dir).is_absolute() else root / pki_dir
    country = alpha2(mrz[0][2:5] if mrz and len(mrz[0]) >= 5 else "UTO") or "UT"
    pki = TestPKI.load_or_generate(pki_path, not_before=now - timedelta(days=365), country=country)
    face_jpeg = None
    if face is not None:
        face_path = Path(face) if Path(face).is_absolute() else root / face
        try:
            face_jpeg = face_path.read_bytes()
        except OSError as exc:
            raise ConfigError(f"DG2 face image {face_path}: {exc.strerror}", key="face") from exc
    setup = make_virtual_passport(
        list(mrz),
        at=now,
        profile=profile,
        face_jpeg=face_jpeg,
        can=can,
        faults=faults_from(faults),
        pki=pki,
    )
    return setup.chip
