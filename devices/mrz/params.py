"""Every tuning constant of the MRZ parser and reader, in one place."""

from __future__ import annotations

# ---------------------------------------------------------------- parsing
# A two-digit expiry year is put in the latest century that keeps the date at most this
# many years after the reference date (passports run 10 years, some cards 15-20).
EXPIRY_WINDOW_YEARS = 20

# ---------------------------------------------------------------- image input
MAX_FILE_BYTES = 40 * 1024 * 1024  # larger files are refused before decoding
MAX_PIXELS = 80_000_000  # larger images are refused (decompression bombs)
MAX_SIDE = 2400  # images are downscaled so their longer side is at most this
MIN_SIDE = 64  # smaller images cannot hold a readable MRZ

# ---------------------------------------------------------------- locating the MRZ band
DETECT_WIDTH = 900  # the image is resized to this width to find the band
MIN_BAND_ASPECT = 4.0  # a band is at least this many times wider than high
MIN_BAND_WIDTH_FRACTION = 0.35  # ... and at least this fraction of the image's width
MAX_BANDS = 4  # candidate bands tried, best first
TURNED_BAND_WEIGHT = 0.5  # bands found in the image turned 90 degrees rank after upright ones
BAND_PAD_FRACTION = 0.12  # padding around a band, as a fraction of its height

# ---------------------------------------------------------------- OCR
LINE_HEIGHT_PX = 48  # the band is scaled so that one text line is about this high
MAX_OCR_RUNS = 10  # tesseract runs per image at most (about 0.4 s each)
TESSERACT_TIMEOUT_S = 20.0  # per tesseract call
TESSERACT_MRZ_MODEL_SHA256 = "e44f5b7a6bdd3f382ef3bfa84ee0057f5897946a84a094c26910e0a124f3a9bd"

# ---------------------------------------------------------------- choosing a reading
# A valid read the consensus does not confirm counts only when this many runs produced it
# verbatim (S and 8 share a check value: one misread can keep every check digit valid).
MIN_VALID_SUPPORT = 2
