"""The border policy: which checks a traveller needs, by category.

It comes from the settings file (``[policy]``) or, when a central server is
configured, from its policy feed (the feed wins). It holds decisions of the
immigration office, not tuning constants of algorithms: biometric operating
points are chosen here by their target false-match rate, and the biometric
modules map that rate to a measured threshold.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from models.identity import TravellerCategory


class FingerprintRule(StrEnum):
    NEVER = "never"
    IF_ENROLLED = "if_enrolled"  # when the traveller has enrolled fingerprints
    ALWAYS = "always"  # capture always (watchlist search), compare where enrolled


class CategoryPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    self_service: bool = True  # False: this category always goes to an officer
    require_chip: bool = True  # a document without a readable chip is referred
    fingerprint: FingerprintRule = FingerprintRule.IF_ENROLLED
    min_age: int = Field(default=12, ge=0, le=120)  # younger travellers are referred


class BorderPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str = "local"
    citizen: CategoryPolicy = Field(default_factory=CategoryPolicy)
    foreigner: CategoryPolicy = Field(
        default_factory=lambda: CategoryPolicy(fingerprint=FingerprintRule.ALWAYS, min_age=18)
    )
    home_country: str = Field(default="IDN", pattern=r"^[A-Z<]{3}$")  # issuing state of citizens
    face_fmr: float = Field(default=0.001, gt=0, lt=0.1)  # operating point of face 1:1
    watchlist_fmr: float = Field(default=0.0001, gt=0, lt=0.1)  # operating point of 1:N searches
    fingerprint_fmr: float = Field(default=0.0001, gt=0, lt=0.1)
    require_passive_authentication: bool = True
    require_chip_authentication: bool = True  # AA or CA must pass when the chip offers one
    require_liveness: bool = True
    max_document_expired_days: int = Field(default=0, ge=0, le=3650)  # 0: must be valid today
    fingerprint_retries: int = Field(default=3, ge=1, le=10)
    face_retries: int = Field(default=3, ge=1, le=10)

    def for_category(self, category: TravellerCategory) -> CategoryPolicy:
        return self.citizen if category is TravellerCategory.CITIZEN else self.foreigner
