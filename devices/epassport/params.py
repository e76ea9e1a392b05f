"""Tuning constants of the chip-reading pipeline, in one place."""

from __future__ import annotations

# Short READ BINARY under secure messaging asks for as much as a protected answer (DO87
# with padding, DO99, DO8E) can carry in 256 bytes: 231 bytes with 3DES, 223 with AES
# (sm.short_plain_limit); without secure messaging 256.
# Largest plaintext per READ BINARY when both reader and chip support extended length.
# Chips announce their buffer in EF.ATR/INFO; this default stays below what common chips
# (and the 16-bit vpcd framing) accept.
EXTENDED_READ_SIZE = 0x7F00
# Bytes asked for by the first read of a file when nothing is known about its length. A
# chip that refuses a Le beyond the end of the file (6700/6Cxx) is asked for the header.
HEADER_READ_SIZE = 8
# No file of the LDS is larger than this (DG2 with several JPEG 2000 images stays well below).
MAX_FILE_SIZE = 1_000_000
# How often a failed read (timeout, wrong MAC, chip dropped the session) is retried after
# re-establishing access control, per file.
READ_RETRIES = 2
# Random challenge of Active Authentication (ICAO 9303-11 §6.1: 8 bytes).
AA_CHALLENGE_SIZE = 8
# Offsets above this need READ BINARY with odd INS (B1) and an offset data object.
MAX_EVEN_INS_OFFSET = 0x7FFF
