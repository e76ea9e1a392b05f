"""The decision engine (Qt-free): policy + facts → checks and a decision with reasons.

A traveller passes only when every check the policy requires for their
category came out ``passed``. Anything else — a failed check, a check that
could not run, an unavailable capability — refers the traveller to an officer
with reason codes. The engine never opens a gate on a missing answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from kiosk.traveller.facts import TransactionFacts
from models.events import CheckOutcome, CheckResult, Decision, Outcome, ReasonCode
from models.identity import TravelDocument, TravellerCategory
from models.policy import BorderPolicy, FingerprintRule

_FAILURE_REASON: dict[str, ReasonCode] = {
    "mrz": ReasonCode.MRZ_INVALID,
    "document_expiry": ReasonCode.DOCUMENT_EXPIRED,
    "chip_present": ReasonCode.NO_CHIP,
    "chip_read": ReasonCode.DOCUMENT_UNREADABLE,
    "passive_authentication": ReasonCode.PASSIVE_AUTH_FAILED,
    "chip_authentication": ReasonCode.CHIP_AUTH_FAILED,
    "dg1_matches_mrz": ReasonCode.DG1_MRZ_MISMATCH,
    "self_service": ReasonCode.NOT_SELF_SERVICE,
    "minimum_age": ReasonCode.UNDER_MIN_AGE,
    "face_capture": ReasonCode.FACE_QUALITY_LOW,
    "liveness": ReasonCode.LIVENESS_FAILED,
    "face_1to1": ReasonCode.FACE_MISMATCH,
    "fingerprint_capture": ReasonCode.FINGERPRINT_QUALITY_LOW,
    "fingerprint_1to1": ReasonCode.FINGERPRINT_MISMATCH,
    "watchlist_face": ReasonCode.WATCHLIST_HIT,
    "watchlist_fingerprint": ReasonCode.WATCHLIST_HIT,
}


# Checks settled by the document step: if one fails, the traveller is referred at once.
DOCUMENT_CHECKS = frozenset(
    {
        "mrz",
        "document_expiry",
        "self_service",
        "minimum_age",
        "chip_present",
        "chip_read",
        "passive_authentication",
        "chip_authentication",
        "dg1_matches_mrz",
    }
)


def category_of(document: TravelDocument, policy: BorderPolicy) -> TravellerCategory:
    citizen = (
        document.issuing_state == policy.home_country
        and document.nationality == policy.home_country
    )
    return TravellerCategory.CITIZEN if citizen else TravellerCategory.FOREIGNER


def age_on(document: TravelDocument, today: date) -> int:
    born = document.birth_date
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def _passed(flag: bool) -> CheckOutcome:
    return CheckOutcome.PASSED if flag else CheckOutcome.FAILED


def needs_fingerprints(policy: BorderPolicy, category: TravellerCategory, enrolled: bool) -> bool:
    rule = policy.for_category(category).fingerprint
    return rule is FingerprintRule.ALWAYS or (rule is FingerprintRule.IF_ENROLLED and enrolled)


@dataclass(frozen=True, slots=True)
class Assessment:
    category: TravellerCategory | None
    checks: tuple[CheckResult, ...]
    decision: Decision


def assess(policy: BorderPolicy, facts: TransactionFacts, today: date) -> Assessment:
    """Every check the policy requires, with its outcome, and the decision."""
    checks: list[CheckResult] = []

    def check(name: str, outcome: CheckOutcome, detail: str = "") -> None:
        checks.append(CheckResult(name, outcome, detail))

    doc = facts.document
    category: TravellerCategory | None = None
    if doc is None or doc.document is None:
        check(
            "mrz", CheckOutcome.FAILED if doc else CheckOutcome.NOT_RUN, doc.detail if doc else ""
        )
    else:
        document = doc.document
        category = category_of(document, policy)
        rules = policy.for_category(category)
        check("mrz", _passed(doc.mrz_valid))
        expired_days = (today - document.expiry_date).days
        check("document_expiry", _passed(expired_days <= policy.max_document_expired_days))
        check("self_service", _passed(rules.self_service))
        check("minimum_age", _passed(age_on(document, today) >= rules.min_age))
        if rules.require_chip:
            check("chip_present", _passed(doc.chip_present))
        if doc.chip_present:
            check("chip_read", doc.chip_read, doc.detail)
            if policy.require_passive_authentication:
                check("passive_authentication", doc.passive_authentication)
            if policy.require_chip_authentication:
                check("chip_authentication", doc.chip_authentication)
            check("dg1_matches_mrz", doc.dg1_matches_mrz)

        face = facts.face
        if face is None:
            check("face_capture", CheckOutcome.NOT_RUN)
        else:
            check("face_capture", _passed(face.captured))
            if policy.require_liveness:
                check("liveness", face.liveness)
            check("face_1to1", face.match)
        check(
            "watchlist_face",
            facts.watchlist_face.searched if facts.watchlist_face else CheckOutcome.NOT_RUN,
        )

        if needs_fingerprints(policy, category, bool(doc.enrolled_fingers)):
            fp = facts.fingerprint
            if fp is None:
                check("fingerprint_capture", CheckOutcome.NOT_RUN)
            else:
                check("fingerprint_capture", _passed(fp.captured))
                if doc.enrolled_fingers:
                    check("fingerprint_1to1", fp.match)
            wl = facts.watchlist_fingerprint
            check("watchlist_fingerprint", wl.searched if wl else CheckOutcome.NOT_RUN)

    return Assessment(category, tuple(checks), decide(tuple(checks)))


def decide(checks: tuple[CheckResult, ...]) -> Decision:
    """Pass only when every check passed; otherwise refer, with a reason per problem.

    Checks that did not run because an earlier step ended the transaction give
    no reason of their own; when nothing else failed, a check that did not run
    is itself the reason (``check_unavailable``): a missing answer never passes.
    """
    reasons: list[ReasonCode] = []
    missing = not checks
    for c in checks:
        if c.outcome in (CheckOutcome.PASSED, CheckOutcome.NOT_OFFERED):
            continue
        if c.outcome is CheckOutcome.NOT_RUN:
            missing = True
            continue
        if c.outcome is CheckOutcome.FAILED:
            reason = _FAILURE_REASON.get(c.name, ReasonCode.CHECK_UNAVAILABLE)
        elif c.outcome is CheckOutcome.ERROR:
            reason = ReasonCode.DEVICE_ERROR
        else:
            reason = ReasonCode.CHECK_UNAVAILABLE
        if reason not in reasons:
            reasons.append(reason)
    if missing and not reasons:
        reasons.append(ReasonCode.CHECK_UNAVAILABLE)
    if not reasons:
        return Decision(Outcome.PASS, (ReasonCode.ALL_CHECKS_PASSED,))
    # A watchlist hit is what the officer must see first.
    reasons.sort(key=lambda r: r is not ReasonCode.WATCHLIST_HIT)
    return Decision(Outcome.REFER, tuple(reasons))
