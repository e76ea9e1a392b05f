"""Machine-readable zones (ICAO Doc 9303 Parts 3-7): check digits, parsing, OCR."""
