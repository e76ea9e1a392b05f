"""The galleries the kiosk keeps, by name.

The face gallery holds ``dlib-resnet-v1`` embeddings (128-d, Euclidean
distance).  The fingerprint pipeline registers its descriptor gallery here
once its descriptor is fixed: a :class:`GallerySpec` with
``modality=Modality.FINGERPRINT``, ``template_kind`` = the ``FingerprintTemplate.format``
of its descriptor templates (``data`` = ``dim`` little-endian float32), its
dimension and metric (for example ``Metric.INNER_PRODUCT`` with ``normalize=True``
for cosine).
"""

from __future__ import annotations

from biometrics.index.records import FACE_GALLERY, GallerySpec

GALLERIES: tuple[GallerySpec, ...] = (FACE_GALLERY,)


def known_galleries() -> dict[str, GallerySpec]:
    return {spec.name: spec for spec in GALLERIES}
