"""Technician mode: device health, camera and threshold calibration (login required)."""
