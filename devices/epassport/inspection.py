"""The document inspection: one chip read turned into the checks a border decision needs.

It joins the chip session (access control, files, Chip and Active
Authentication) with Passive Authentication, the DG1-versus-printed-MRZ
comparison and the DG2 face, and states each as a
:class:`~models.events.CheckOutcome`. Chip and Active Authentication only count
when the data group carrying their key (DG14, DG15) passed Passive
Authentication: an attacker who can swap DG15 can make any clone "pass" AA.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from devices.epassport.faceimage import parse_dg2
from devices.epassport.images import DecodedImage
from devices.epassport.lds import DG1, parse_dg1
from devices.epassport.passive_auth import PassiveAuthResult, verify_passive
from devices.epassport.session import CheckResult, ChipReadResult
from devices.epassport.trust import TrustStore
from models.errors import DocumentError
from models.events import CheckOutcome


@dataclass(frozen=True)
class DocumentInspection:
    read: ChipReadResult
    passive: PassiveAuthResult | None  # None when the chip has no EF.SOD
    dg1: DG1 | None
    dg1_matches_printed: CheckOutcome
    chip_authentication: CheckOutcome
    face: DecodedImage | None  # the first DG2 face, decoded
    face_problem: str = ""  # why there is no face (machine code)

    @property
    def passive_authentication(self) -> CheckOutcome:
        if self.passive is None:
            return CheckOutcome.FAILED
        return CheckOutcome.PASSED if self.passive.valid else CheckOutcome.FAILED


def _dg_verified(passive: PassiveAuthResult | None, number: int) -> bool:
    return passive is not None and passive.valid and passive.dg_hashes_valid.get(number) is True


def _auth_outcome(check: CheckResult, key_group_verified: bool) -> CheckOutcome | None:
    if not check.performed:
        return None
    if not key_group_verified:
        return CheckOutcome.FAILED  # a key we cannot trust proves nothing
    return CheckOutcome.PASSED if check.valid else CheckOutcome.FAILED


def chip_authentication_outcome(
    read: ChipReadResult, passive: PassiveAuthResult | None
) -> CheckOutcome:
    """CA (key in DG14) or else AA (key in DG15); NOT_OFFERED only for a verified document without either."""
    ca = _auth_outcome(read.chip_authentication, _dg_verified(passive, 14))
    aa = _auth_outcome(read.active_authentication, _dg_verified(passive, 15))
    outcomes = [o for o in (ca, aa) if o is not None]
    if CheckOutcome.FAILED in outcomes:
        return CheckOutcome.FAILED
    if outcomes:
        return CheckOutcome.PASSED
    # Neither was performed. NOT_OFFERED only when signed data shows the chip has
    # neither: no DG15 (AA key) in the SOD, and no DG14 or a verified DG14 without
    # a Chip Authentication key (DG14 may carry PACE infos only).
    signed = passive.sod if passive is not None and passive.valid else None
    if signed is None or 15 in signed.dg_hashes:
        return CheckOutcome.NOT_RUN
    if 14 not in signed.dg_hashes:
        return CheckOutcome.NOT_OFFERED
    infos = read.security_infos
    if _dg_verified(passive, 14) and infos is not None and not infos.chip_authentication_keys:
        return CheckOutcome.NOT_OFFERED
    return CheckOutcome.NOT_RUN


def inspect(
    read: ChipReadResult,
    trust: TrustStore,
    at: datetime,
    *,
    printed_mrz: Sequence[str] | None = None,
    issuing_country: str | None = None,
) -> DocumentInspection:
    passive = None
    if read.sod is not None:
        passive = verify_passive(
            read.sod, read.data_groups, trust, at, issuing_country=issuing_country
        )
    dg1 = None
    matches = CheckOutcome.NOT_RUN
    if "DG1" in read.files:
        try:
            dg1 = parse_dg1(read.files["DG1"])
        except DocumentError:
            matches = CheckOutcome.FAILED
    if dg1 is not None and printed_mrz is not None:
        matches = (
            CheckOutcome.PASSED if dg1.matches_printed(list(printed_mrz)) else CheckOutcome.FAILED
        )
    face, problem = None, ""
    if "DG2" not in read.files:
        problem = "dg2_absent"
    else:
        try:
            faces = parse_dg2(read.files["DG2"])
            face = faces[0].decode() if faces else None
            problem = "" if faces else "dg2_empty"
        except DocumentError as exc:
            problem = exc.code
    return DocumentInspection(
        read=read,
        passive=passive,
        dg1=dg1,
        dg1_matches_printed=matches,
        chip_authentication=chip_authentication_outcome(read, passive),
        face=face,
        face_problem=problem,
    )
