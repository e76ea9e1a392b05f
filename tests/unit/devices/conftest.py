"""Fixtures of the device unit tests: small synthetic media in a temporary folder."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from devices.virtual import media


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("media")
    (root / "frames").mkdir()
    for i in range(3):
        cv2.imwrite(str(root / "frames" / f"f{i}.png"), media.card_frame(i * 10))
    (root / "fingers").mkdir()
    for i in range(2):
        cv2.imwrite(str(root / "fingers" / f"p{i}.png"), media.fingerprint(i, 120, 100, 4))
    (root / "pages").mkdir()
    cv2.imwrite(str(root / "pages" / "page.png"), media.document_page(310, 440))
    (root / "dark").mkdir()
    cv2.imwrite(str(root / "dark" / "black.png"), np.zeros((60, 80, 3), np.uint8))
    media.write_video(root / "clip.avi", 12)
    return root
