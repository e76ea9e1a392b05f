"""The embedding process: same results as in the calling thread, failures typed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from biometrics.face.models import FaceModels
from biometrics.face.worker import EmbeddingWorker, FaceWorkerError, InProcessEmbedder
from kiosk.demo import portrait_rgb

pytestmark = pytest.mark.integration


def test_child_process_embeds_like_the_calling_thread(face_models: FaceModels) -> None:
    rgb = portrait_rgb()
    local = InProcessEmbedder(face_models).embed_face(rgb)
    with EmbeddingWorker() as worker:
        remote = worker.embed_face(rgb)
        assert worker.embed_selected([]) is None
    assert local.embedding is not None and remote.embedding is not None
    np.testing.assert_allclose(remote.embedding, local.embedding, atol=1e-5)
    assert remote.quality.unified == pytest.approx(local.quality.unified)


def test_a_child_that_cannot_load_its_models_is_a_typed_error(tmp_path: Path) -> None:
    worker = EmbeddingWorker(model_dir=tmp_path / "no-models", timeout_s=60)
    with pytest.raises(FaceWorkerError, match="stopped"):
        worker.start()
    worker.close()
