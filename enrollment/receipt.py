"""The traveller's enrollment receipt: a printable HTML page, in Indonesian and English.

It says what was recorded and where, never the biometric data itself: no
photo, no fingerprint image, no template and no score. The document number is
masked but for its last three characters. The kiosk prints it or writes it to
PDF (``kiosk/officer/receipt_pdf.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from html import escape

from enrollment.persist import StoredEnrollment
from models.enrollment import EnrollmentStatus


@dataclass(frozen=True, slots=True)
class ReceiptData:
    enrollment_id: str
    enrolled_at: datetime
    office_id: str
    kiosk_id: str
    officer_id: str
    name: str
    nationality: str
    document: str  # issuing state and masked number
    status: EnrollmentStatus
    face: bool
    face_override: bool
    fingers: tuple[str, ...]  # position names captured
    missing: tuple[tuple[str, str], ...]  # (position name, reason)
    consent: bool


def mask(number: str) -> str:
    return "•" * max(0, len(number) - 3) + number[-3:]


def receipt_data(stored: StoredEnrollment, issuing_state: str, positions: list[str]) -> ReceiptData:
    e, t = stored.enrollment, stored.traveller
    return ReceiptData(
        enrollment_id=e.enrollment_id,
        enrolled_at=e.enrolled_at,
        office_id=e.office_id,
        kiosk_id=e.kiosk_id,
        officer_id=e.officer_id,
        name=f"{t.given_names} {t.surname}".strip(),
        nationality=t.nationality,
        document=f"{issuing_state} {mask(e.document_number or '')}",
        status=e.status,
        face=bool(e.face_template_ids),
        face_override=e.override_reason is not None,
        fingers=tuple(positions),
        missing=tuple((m.position.name, m.reason) for m in e.missing_fingers),
        consent=e.consent_given,
    )


_STATUS = {
    EnrollmentStatus.ACTIVE: ("Terdaftar", "Enrolled"),
    EnrollmentStatus.PENDING_REVIEW: (
        "Menunggu pemeriksaan supervisor",
        "Awaiting a supervisor's review",
    ),
    EnrollmentStatus.REVOKED: ("Dibatalkan", "Revoked"),
}


def _row(indonesian: str, english: str, value: str) -> str:
    return (
        f"<tr><th>{escape(indonesian)}<br><small>{escape(english)}</small></th>"
        f"<td>{escape(value)}</td></tr>"
    )


def render_html(data: ReceiptData) -> str:
    yes_no = {True: "Ya / Yes", False: "Tidak / No"}
    status_id, status_en = _STATUS[data.status]
    missing = "; ".join(f"{p}: {r}" for p, r in data.missing) or "-"
    face = yes_no[data.face] + (" (pengecualian / exception)" if data.face_override else "")
    rows = [
        _row("Nomor pendaftaran", "Enrollment number", data.enrollment_id),
        _row("Tanggal", "Date (UTC)", data.enrolled_at.strftime("%Y-%m-%d %H:%M")),
        _row("Kantor / kios", "Office / kiosk", f"{data.office_id} / {data.kiosk_id}"),
        _row("Petugas", "Officer", data.officer_id),
        _row("Nama", "Name", data.name),
        _row("Kewarganegaraan", "Nationality", data.nationality),
        _row("Dokumen", "Document", data.document),
        _row("Status", "Status", f"{status_id} / {status_en}"),
        _row("Foto wajah direkam", "Face recorded", face),
        _row("Sidik jari direkam", "Fingerprints recorded", ", ".join(data.fingers) or "-"),
        _row("Jari tidak direkam", "Fingers not recorded", missing),
        _row("Persetujuan", "Consent", yes_no[data.consent]),
    ]
    return (
        "<!DOCTYPE html>\n<html lang='id'><head><meta charset='utf-8'>"
        "<title>Tanda terima pendaftaran / Enrollment receipt</title>"
        "<style>body{font-family:sans-serif;margin:2em}th{text-align:left;padding:4px 12px 4px 0;"
        "vertical-align:top}td{padding:4px 0}small{color:#555;font-weight:normal}</style>"
        "</head><body>"
        "<h1>Tanda terima pendaftaran biometrik<br><small>Biometric enrollment receipt</small></h1>"
        f"<table>{''.join(rows)}</table>"
        "<p>Data biometrik Anda disimpan terenkripsi dan tidak dicetak pada tanda terima ini.<br>"
        "<small>Your biometric data is stored encrypted and is not printed on this receipt.</small>"
        "</p></body></html>\n"
    )
