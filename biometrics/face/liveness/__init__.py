"""Liveness: the active challenge (``challenge``), passive cues (``parallax``,
``spectrum``) and their combination per traveller (``session``). See docs/face.md
for what they stop and what they do not (ISO/IEC 30107-3 terms)."""
