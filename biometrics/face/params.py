"""Every tuning constant of the face pipeline, in one module.

Each group is a frozen dataclass with a module-level default instance; callers
that need other values build their own instance (``dataclasses.replace``) and
pass it in explicitly. Where a value comes from a standard or a measurement,
the comment says which; ``docs/face.md`` has the measurements.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ImageLimits:
    max_file_bytes: int = 64 * 1024 * 1024
    max_pixels: int = 100_000_000  # declared width x height above this is refused undecoded
    max_side: int = 2048  # decoded images are downscaled to this longer side


@dataclass(frozen=True, slots=True)
class StillDetectionParams:
    """Finding the one face in a still (DG2 portrait, enrolment photo, dataset image).

    A ladder, stopping at the first rung that finds a face: (1) grey image with a
    replicated border of ``pad_fraction`` (a face that fills the frame, as in
    ICAO-cropped portraits, otherwise has no room for the detector's window),
    upsampled so that faces down to ~40 px are found; (2) the same after CLAHE
    (dark, low-contrast photos); (3) the detector's threshold lowered to
    ``fallback_threshold``, taking the best-scoring face. On casia_facev5 this
    ladder enrols 94/100 images where plain face_recognition enrols 89; on
    att_orl_faces 400/400 against 385.
    """

    pad_fraction: float = 0.25
    detect_max_side: int = 1024  # larger stills are detected downscaled (landmarks at full size)
    upsample_below_side: int = 1200  # upsample once when the longer side is shorter than this
    upsample_twice_below_side: int = 200  # and twice below this (ORL's 92x112)
    clahe_clip: float = 2.0
    fallback_threshold: float = -0.6


@dataclass(frozen=True, slots=True)
class LiveDetectionParams:
    """Detection and tracking in the live guidance loop (640x480 camera frames)."""

    # The HOG window is 80 px: the detector runs at a scale where the face it tracks
    # is ~min_face_at_detector px; with no face known yet it runs at ``search_scale``.
    search_scale: float = 1.0  # grey 640x480: ~26 ms, finds faces from ~80 px (IED ~35 px)
    min_face_at_detector: float = 110.0
    min_scale: float = 0.35
    redetect_every: int = 6  # frames between detections while a track is held
    tracker_min_psr: float = 7.0  # dlib correlation tracker's confidence (peak-to-sidelobe)
    max_landmark_box_drift: float = 0.35  # track lost when landmarks leave the box by this much
    max_faces: int = 4


@dataclass(frozen=True, slots=True)
class EmbeddingParams:
    """How a face becomes a 128-d vector; each choice measured in docs/face.md.

    68-point alignment and flip averaging lowered FNMR at FMR 0.1% on
    casia_facev5 from 14.4% to 9.6% and on yale_faces from 21.4% to 12.1% (same
    detections); dlib's random jitter (6 samples) did no better than the flip at
    three times the cost; CLAHE on the chip made every set worse.
    """

    chip_size: int = 150  # what dlib's ResNet was trained on
    chip_padding: float = 0.25
    landmarks: int = 68  # 68 or 5 points for the alignment
    flip: bool = True
    jitters: int = 0  # > 1: dlib's random jitter instead of the flip average


@dataclass(frozen=True, slots=True)
class QualityParams:
    """Quality components: (raw value at score 0, raw value at score 100) ramps.

    Pose limits follow ISO/IEC 19794-5 full frontal (yaw and pitch within ±5°,
    roll within ±8°: full score) and fall to 0 at 25°; the live loop accepts a
    frame for embedding from the unified score, enrolment uses the ICAO report.
    """

    ied_zero: float = 30.0  # px; below this the face is useless
    ied_full: float = 90.0  # px; ICAO 9303 Part 3 / ISO 19794-5: at least 90 px for enrolment
    ied_too_close_fraction: float = 0.45  # IED above this fraction of the frame width: move back
    yaw_full: float = 5.0
    yaw_zero: float = 25.0
    pitch_full: float = 5.0
    pitch_zero: float = 25.0
    roll_full: float = 8.0
    roll_zero: float = 25.0
    # Crete et al. blur on the face resampled to 64 px IED: sharp LFW/CASIA faces 0.77-0.87
    # (10th-90th percentile), after a Gaussian blur of sigma 1% of the face width 0.88-0.92.
    blur_full: float = 0.86
    blur_zero: float = 0.94
    exposure_low_zero: float = 40.0  # mean grey of the inner face
    exposure_low_full: float = 90.0
    exposure_high_full: float = 190.0
    exposure_high_zero: float = 235.0
    clipped_zero: float = 0.25  # fraction of inner-face pixels at 0-5 or 250-255
    contrast_zero: float = 20.0  # 5th-95th percentile spread of the inner face
    contrast_full: float = 70.0
    uniformity_zero: float = 0.45  # darker / brighter cheek mean; Yale side-lit: 0.2-0.4
    uniformity_full: float = 0.75
    ear_zero: float = 0.13  # eye aspect ratio
    ear_full: float = 0.21
    mouth_full: float = 0.15  # inner-lip opening / width
    mouth_zero: float = 0.45
    centre_full: float = 0.10  # eye midpoint offset from the frame centre / frame size
    centre_zero: float = 0.35
    # Edge density on the nose bridge; Yale "glasses" median 0.25, "noglasses" 0.11.
    glasses_full: float = 0.12
    glasses_zero: float = 0.30
    motion_full: float = 0.02  # landmark motion between frames / IED
    motion_zero: float = 0.10
    guidance_below: float = 50.0  # a component under this score produces its guidance code
    accept_unified: float = 55.0  # live frames at or above this are embedded


@dataclass(frozen=True, slots=True)
class IcaoLimits:
    """ISO/IEC 19794-5:2005 full-frontal / ICAO 9303 portrait limits, as commonly cited."""

    min_ied: float = 90.0
    max_yaw: float = 5.0
    max_pitch: float = 5.0
    max_roll: float = 8.0
    centre_x: tuple[float, float] = (0.45, 0.55)  # eye midpoint, fraction of image width
    eyes_from_top: tuple[float, float] = (0.30, 0.50)  # eye line, fraction of image height
    head_width: tuple[float, float] = (0.50, 0.75)  # head width / image width
    head_length: tuple[float, float] = (0.60, 0.90)  # crown-to-chin / image height
    min_component: float = 50.0  # quality components that must reach this


@dataclass(frozen=True, slots=True)
class CaptureParams:
    """Best-frame selection in the live loop."""

    window_frames: int = 45  # frames looked at before embedding what there is (~1.5 s at 30 fps)
    # Two frames, each flip-averaged: four ResNet passes (~320 ms on one core) keep
    # "face presented -> decision" under 1 s (bench face).
    frames_to_embed: int = 2
    min_frames_apart: int = 3  # selected frames at least this far apart (not one blink)
    enough_quality: float = 80.0  # capture may end early once this many frames reach this
    enough_count: int = 2


IMAGE_LIMITS = ImageLimits()
STILL_DETECTION = StillDetectionParams()
LIVE_DETECTION = LiveDetectionParams()
EMBEDDING = EmbeddingParams()
QUALITY = QualityParams()
ICAO = IcaoLimits()
CAPTURE = CaptureParams()


@dataclass(frozen=True, slots=True)
class VerificationPolicy:
    """Score (cosine similarity of unit embeddings) → decision, as operating points.

    Thresholds are measured false-match rates on the population, never tuned by
    hand (``gerbang eval face`` prints the rates of this policy as ``at_policy``):

    - ``accept`` 0.965: FMR <= 0.1% on casia_facev5 (East Asian, the closest set
      to the travellers served; 4,750 impostor pairs, so ~5 above it). The East
      Asian impostor scores sit far higher in dlib's embedding space: the pooled
      casia+lfw threshold for FMR 0.1% (0.933) accepts 29% of casia_facev5
      impostor pairs, so the strict one ships. Cost: FNMR 12.6% on casia_facev5
      and ~70% on lfw_gray (FMR there ~0.0002%): the share referred to an officer.
    - ``reject`` 0.914: FMR 1% on casia_facev5 + lfw_gray pooled; genuine pairs
      fall below it rarely (FNMR 2.2% casia, 1.7% lfw): below it the faces are
      called different; between the two the kiosk refers the traveller to an
      officer (INCONCLUSIVE).

    Re-measure on the population served before changing them (docs/face.md).
    """

    accept: float
    reject: float
    accept_fmr: float = 0.001  # the documented error rates of the two thresholds
    reject_fmr: float = 0.01
    min_live_quality: float = 55.0  # unified quality of the best live frame
    min_reference_quality: float = 20.0  # DG2 photos are compressed and small; only gross faults
    max_frame_spread: float = 0.25  # live frames whose scores differ more are not one face


@dataclass(frozen=True, slots=True)
class LivenessParams:
    """Active challenge (blink, head turn) and the passive presentation-attack cues."""

    baseline_frames: int = 5  # frontal frames that set the open-eye EAR and neutral yaw
    baseline_max_yaw: float = 15.0
    blink_closed_ratio: float = 0.65  # EAR below this fraction of the open-eye baseline: closed
    blink_open_ratio: float = 0.85  # and back above this: a blink
    blink_max_closed_s: float = 1.0
    turn_degrees: float = 18.0  # yaw away from neutral that counts as a turn
    return_degrees: float = 8.0  # back within this of neutral completes the turn
    challenge_timeout_s: float = 6.0
    total_timeout_s: float = 20.0
    face_lost_s: float = 0.6  # longer without a face fails the challenge
    # Parallax: landmark motion of a flat photo fits one homography; a head's does not.
    # Measured (docs/face.md): real head turns in the face video, pairs >= 15° apart:
    # 5th percentile 0.038, median 0.066; flat photos warped through ±40° of tilt:
    # median 0.018-0.025 per photo.
    parallax_min_yaw_change: float = 15.0  # frames compared must differ at least this much
    parallax_min_residual: float = 0.030  # median RMS homography residual / IED
    parallax_max_frames: int = 40  # frames of a turn used (evenly spaced)
    # Spectral cue: isolated high-frequency peaks (screen pixel grid, print halftone, moire).
    # Bona fide faces (230 stills and video frames of the shared sets): peak 1.3-2.3; a face
    # re-captured from a simulated RGB-stripe screen: 4.5-6.4 (2.0 px of defocus: 1.5).
    spectrum_band: tuple[float, float] = (0.25, 0.95)  # fraction of Nyquist
    spectrum_max_peak: float = 3.0


LIVENESS = LivenessParams()


VERIFICATION = VerificationPolicy(accept=0.965, reject=0.914)


@dataclass(frozen=True, slots=True)
class WatchlistPolicy:
    """1:N watchlist search: a hit refers the traveller to an officer.

    ``hit`` 0.965 is the 1:1 accept point: FMR <= 0.1% per comparison on
    casia_facev5. A search compares with every active entry, so its false-hit
    rate grows with the watchlist: about N x 0.1% for N entries (10% for 100).
    A false hit costs an officer's check; a missed hit lets a wanted person
    through, so the threshold is not raised to cut false hits. Re-measure on the
    population served (``gerbang calibrate thresholds``).
    """

    hit: float
    candidates: int = 10  # rows fetched from the index, then re-scored exactly
    hit_fmr: float = 0.001  # per comparison


WATCHLIST = WatchlistPolicy(hit=VERIFICATION.accept)
