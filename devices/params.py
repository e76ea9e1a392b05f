"""Tuning constants of the device layer, in one place.

Timeouts of individual calls are arguments of those calls (see ``devices.base``);
what is here are the internal limits that bound how long a backend waits before
it calls something an error, and the thresholds of the quick image checks.
"""

from __future__ import annotations

# --- reconnect backoff (backends that reconnect by themselves; the manager's own
# backoff comes from settings.devices)
BACKOFF_INITIAL_S = 0.25
BACKOFF_MAX_S = 10.0
BACKOFF_FACTOR = 2.0

# --- cameras
# A source that delivered no frame for this long is considered lost and reopened.
CAMERA_STALL_S = 2.0
# Manual focus of a running camera (calibration's focus sweep): V4L2/UVC focus_absolute
# is commonly 0-255 (some models 0-1023; OpenCV does not report the range).
CAMERA_FOCUS_RANGE = (0.0, 255.0)
CAMERA_CONTROL_TIMEOUT_S = 2.0  # the capture thread applies a control before its next read
# Consecutive failed reads after which a live source is reopened even before the stall time.
CAMERA_MAX_FAILED_READS = 50
# OpenCV/FFmpeg limits for network streams (milliseconds).
CAMERA_OPEN_TIMEOUT_MS = 5000
CAMERA_READ_TIMEOUT_MS = 5000
# Frames smaller than this (either side, pixels) are treated as corrupt.
FRAME_MIN_SIDE = 8
# Mean grey level (0-255) outside [min, max] gives Retry(TOO_DARK / TOO_BRIGHT).
BRIGHTNESS_MIN = 25.0
BRIGHTNESS_MAX = 235.0
# How long joining a capture thread may take at close before we give up on it.
THREAD_JOIN_S = 3.0

# --- fingerprint scanners
FINGERPRINT_DEFAULT_PPI = 500
# After a timeout the capture is cancelled; a driver that does not confirm the
# cancellation within this grace period is considered hung.
FPRINT_CANCEL_GRACE_S = 2.0
FPRINT_OPEN_TIMEOUT_S = 10.0

# --- smart-card readers (PC/SC)
# SCardGetStatusChange timeout of the reader's observer thread: how quickly it
# notices that it is asked to stop or that pcscd went away.
PCSC_POLL_MS = 250
# After a response without status word, how long to wait for pcscd to report the card gone.
PCSC_REMOVAL_CHECK_S = 1.0
# ISO/IEC 7816-4: at most this many chained GET RESPONSE (61xx) rounds per command.
PCSC_MAX_GET_RESPONSE = 64

# --- vpcd (vsmartcard) virtual reader
VPCD_DEFAULT_PORT = 35963
VPCD_IO_TIMEOUT_S = 5.0

# --- gates
GATE_PULSE_S = 0.5  # a relay pulse for `devices test`
