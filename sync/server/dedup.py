"""Central de-duplication of enrollments made at different (offline) posts.

What is feasible at the centre, and what this module does:

1. **Same document** (at ingest, indexed): the enrollment's document number is
   hashed with a central key (``doc_index``); another enrollment with the same
   hash is flagged ``same_document``.
2. **Same face template** (at ingest, indexed): SHA-256 of the template vector;
   the same capture enrolled twice is flagged ``same_face_template``.
3. **Near-duplicate face** (batch, :func:`run_face_dedup`): cosine similarity of
   the new face templates against all enrolled ones of the same algorithm,
   flagged ``similar_face`` above a threshold. Exact search with NumPy is
   O(new x all); it is fine to a few hundred thousand enrollments per run (a
   matrix product), beyond that the same job should use an ANN index (FAISS,
   ``biometrics``) kept by one worker.

Flags are for officers: nothing is merged or deleted automatically.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import Connection, and_, or_, select, update

from models.biometric import FaceTemplate
from sync.protocol import sha256_hex
from sync.server import schema as s
from sync.server.db import upsert

SAME_DOCUMENT = "same_document"
SAME_FACE_TEMPLATE = "same_face_template"
SIMILAR_FACE = "similar_face"
DEFAULT_FACE_THRESHOLD = 0.92  # cosine; to be set per algorithm from its DET curve


def record_templates(
    conn: Connection, enrollment_id: str, templates: Sequence[FaceTemplate]
) -> None:
    if not templates:
        return
    stmt = upsert(conn, s.central_face_templates).on_conflict_do_nothing(
        index_elements=["template_id"]
    )
    conn.execute(
        stmt,
        [
            {
                "template_id": t.template_id,
                "enrollment_id": enrollment_id,
                "algorithm": t.algorithm,
                "dim": t.dim,
                "vector": t.vector,
                "vector_sha256": sha256_hex(t.vector),
            }
            for t in templates
        ],
    )


def _enrollment(conn: Connection, enrollment_id: str) -> dict[str, Any] | None:
    row = conn.execute(
        select(s.central_enrollments).where(s.central_enrollments.c.enrollment_id == enrollment_id)
    ).first()
    return dict(row._mapping) if row else None


def _flag(
    conn: Connection, reason: str, a: str, b: str, *, now: datetime, score: float | None = None
) -> None:
    ea, eb = _enrollment(conn, a), _enrollment(conn, b)
    if ea is None or eb is None or a == b:
        return
    first, second = (ea, eb) if a < b else (eb, ea)
    stmt = upsert(conn, s.dedup_flags).on_conflict_do_nothing(
        index_elements=["reason", "enrollment_id", "other_enrollment_id"]
    )
    conn.execute(
        stmt.values(
            reason=reason,
            enrollment_id=first["enrollment_id"],
            other_enrollment_id=second["enrollment_id"],
            office_id=first["office_id"],
            other_office_id=second["office_id"],
            kiosk_id=first["kiosk_id"],
            other_kiosk_id=second["kiosk_id"],
            score=score,
            created_at=now,
            status="open",
        )
    )


def flag_exact(
    conn: Connection,
    enrollment_id: str,
    doc_index: str | None,
    templates: Sequence[FaceTemplate],
    *,
    now: datetime,
) -> None:
    e = s.central_enrollments
    if doc_index is not None:
        others = conn.execute(
            select(e.c.enrollment_id).where(
                e.c.doc_index == doc_index, e.c.enrollment_id != enrollment_id
            )
        ).scalars()
        for other in list(others):
            _flag(conn, SAME_DOCUMENT, enrollment_id, other, now=now)
    f = s.central_face_templates
    digests = [sha256_hex(t.vector) for t in templates]
    if digests:
        others = conn.execute(
            select(f.c.enrollment_id)
            .where(f.c.vector_sha256.in_(digests), f.c.enrollment_id != enrollment_id)
            .distinct()
        ).scalars()
        for other in list(others):
            _flag(conn, SAME_FACE_TEMPLATE, enrollment_id, other, now=now)


def run_face_dedup(
    conn: Connection, *, now: datetime, threshold: float = DEFAULT_FACE_THRESHOLD
) -> dict[str, int]:
    """Compare face templates added since the last run with all; flag similar pairs."""
    state = s.dedup_state
    mark = conn.execute(select(state.c.watermark).where(state.c.name == "face")).scalar()
    watermark = int(mark or 0)
    f = s.central_face_templates
    rows = conn.execute(
        select(f.c.row_id, f.c.enrollment_id, f.c.algorithm, f.c.dim, f.c.vector).order_by(
            f.c.row_id
        )
    ).all()
    flagged = compared = 0
    by_algorithm: dict[tuple[str, int], list[Any]] = {}
    for row in rows:
        by_algorithm.setdefault((row.algorithm, row.dim), []).append(row)
    for (_algorithm, dim), group in by_algorithm.items():
        new_at = [i for i, r in enumerate(group) if r.row_id > watermark]
        if not new_at:
            continue
        matrix = np.frombuffer(b"".join(bytes(r.vector) for r in group), dtype="<f4").reshape(
            -1, dim
        )
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        matrix = matrix / np.where(norms == 0, 1, norms)
        sims = matrix[new_at] @ matrix.T
        compared += sims.size
        for qi, ci in zip(*np.nonzero(sims >= threshold), strict=True):
            i, j = new_at[int(qi)], int(ci)
            a, b = group[i], group[j]
            if a.enrollment_id == b.enrollment_id or (j in new_at and j < i):
                continue  # same enrollment, or a pair of new ones counted from the other side
            _flag(
                conn,
                SIMILAR_FACE,
                a.enrollment_id,
                b.enrollment_id,
                now=now,
                score=float(sims[qi, ci]),
            )
            flagged += 1
    newest = max((int(r.row_id) for r in rows), default=watermark)
    stmt = upsert(conn, state).values(name="face", watermark=newest)
    conn.execute(stmt.on_conflict_do_update(index_elements=["name"], set_={"watermark": newest}))
    return {
        "templates": len(rows),
        "new": sum(1 for r in rows if r.row_id > watermark),
        "comparisons": compared,
        "flagged": flagged,
    }


def list_flags(conn: Connection, *, status: str | None = "open") -> list[dict[str, Any]]:
    d = s.dedup_flags
    query = select(d).order_by(d.c.flag_id)
    if status:
        query = query.where(d.c.status == status)
    out = []
    for row in conn.execute(query):
        m = dict(row._mapping)
        for key in ("created_at", "resolved_at"):
            if m[key] is not None:
                m[key] = m[key].isoformat()
        out.append(m)
    return out


def resolve_flag(conn: Connection, flag_id: int, *, by: str, now: datetime) -> bool:
    d = s.dedup_flags
    result = conn.execute(
        update(d)
        .where(and_(d.c.flag_id == flag_id, or_(d.c.status == "open", d.c.status.is_(None))))
        .values(status="resolved", resolved_by=by, resolved_at=now)
    )
    return result.rowcount > 0
