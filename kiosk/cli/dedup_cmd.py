"""``gerbang dedup list|show|decide``: enrollments held as possible duplicates, for a supervisor."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import click

from kiosk.cli.context import app, emit_json, json_option, open_store
from kiosk.cli.staffauth import index_dir, index_key, principal, staff_options
from models.audit import AuditLog
from models.roles import Principal, Role

if TYPE_CHECKING:
    from enrollment.review import DuplicateReview


@contextmanager
def _review(
    ctx: click.Context, as_user: str | None, secret_stdin: bool
) -> Iterator[tuple[DuplicateReview, Principal]]:
    from biometrics.fingerprint.verify import policy_from_settings
    from enrollment.gallery import FaceGallery, GalleryDeduplicator
    from enrollment.review import DuplicateReview

    settings = app(ctx).start_logging()
    store, keys = open_store(settings)
    gallery = None
    try:
        audit = AuditLog(store, keys.signing_key())
        actor = principal(store, audit, as_user, secret_stdin, role=Role.SUPERVISOR)
        gallery = FaceGallery.open(store, index_dir(settings), index_key(settings))
        # the counter's calibrated fingerprint points, as the officer app uses them
        policy = policy_from_settings(settings.calibration.fingerprint)
        review = DuplicateReview(
            store,
            audit,
            GalleryDeduplicator(gallery, finger_policy=policy),
            index_update=gallery.add_rows,
        )
        yield review, actor
    finally:
        if gallery is not None:
            gallery.close()
        store.close()


@click.group()
def dedup() -> None:
    """Enrollments held as possible duplicates: list, show, decide (supervisors)."""


@dedup.command("list")
@staff_options
@json_option
@click.pass_context
def list_held(ctx: click.Context, as_user: str | None, secret_stdin: bool, as_json: bool) -> None:
    """Enrollments waiting for a supervisor's decision."""
    with _review(ctx, as_user, secret_stdin) as (review, actor):
        held = review.held(actor)
    rows = [
        {
            "enrollment_id": e.enrollment_id,
            "enrolled_at": e.enrolled_at.isoformat(),
            "officer_id": e.officer_id,
        }
        for e in held
    ]
    if as_json:
        emit_json({"held": rows, "count": len(rows)})
        return
    for row in rows:
        click.echo(f"{row['enrollment_id']}  {row['enrolled_at']}  {row['officer_id']}")


@dedup.command()
@click.argument("enrollment_id")
@staff_options
@json_option
@click.pass_context
def show(
    ctx: click.Context, enrollment_id: str, as_user: str | None, secret_stdin: bool, as_json: bool
) -> None:
    """A held enrollment and its candidates (found again by the 1:N search)."""
    with _review(ctx, as_user, secret_stdin) as (review, actor):
        case = review.case(enrollment_id, actor)
    data: dict[str, Any] = {
        "enrollment_id": enrollment_id,
        "name": case.name,
        "candidates": [
            {
                "subject_id": c.subject_id,
                "gallery": c.gallery,
                "modality": c.modality,
                "score": c.score,
                "matcher": c.matcher,
                "has_face_image": image is not None,
            }
            for c, image in case.candidates
        ],
    }
    if as_json:
        emit_json(data)
        return
    click.echo(f"{enrollment_id}  {case.name}")
    for candidate in data["candidates"]:
        click.echo(f"  {candidate['gallery']} {candidate['subject_id']} score {candidate['score']}")


@dedup.command()
@click.argument("enrollment_id")
@click.option(
    "--same-person/--different-person",
    required=True,
    help="Same person: the new enrollment is revoked. Different: it becomes active.",
)
@click.option("--note", required=True, help="The supervisor's note (audited).")
@click.option("--as", "as_user", required=True, metavar="SUPERVISOR", help="Supervisor account.")
@click.option("--secret-stdin", is_flag=True, help="Read the supervisor's secret from stdin.")
@json_option
@click.pass_context
def decide(
    ctx: click.Context,
    enrollment_id: str,
    same_person: bool,
    note: str,
    as_user: str,
    secret_stdin: bool,
    as_json: bool,
) -> None:
    """Decide on a held enrollment (a supervisor logs in for it)."""
    with _review(ctx, as_user, secret_stdin) as (review, actor):
        decided = review.decide(enrollment_id, actor, same_person=same_person, note=note)
    if as_json:
        emit_json({"enrollment_id": enrollment_id, "status": decided.status.value})
    else:
        click.echo(f"{enrollment_id}: {decided.status.value}")


COMMANDS = (dedup,)
