"""Every tuning constant of the fingerprint pipeline, in one module.

Each group is a frozen dataclass with a module-level default instance; callers
that need other values build their own (``dataclasses.replace``) and pass it in.
Where a value comes from a paper, a standard or a measurement the comment says
which; ``docs/fingerprint.md`` has the measurements.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ImageParams:
    target_ppi: float = 500.0  # mindtct, bozorth3 and MCC's radii are all tuned at 500 ppi
    default_ppi: float = 500.0  # when neither the caller nor the file says
    min_side: int = 150  # at 500 ppi: 7.6 mm, less than a third of a fingertip
    max_side: int = 2000  # at 500 ppi: 10 cm, a single finger never needs more
    max_file_bytes: int = 32 * 1024 * 1024
    blank_std: float = 4.0  # grey-level standard deviation below this: no ridges at all


@dataclass(frozen=True, slots=True)
class SegmentationParams:
    """Block-wise foreground: a block is print when its grey variance is high enough."""

    block: int = 16  # pixels at 500 ppi, about two ridge periods
    std_fraction: float = 0.3  # block std >= this share of the image's high block std
    min_std: float = 6.0  # ...and at least this many grey levels
    close_blocks: int = 2  # morphological closing, then opening, in blocks
    min_area_fraction: float = 0.05  # less print than this: a "tiny area" sample issue


@dataclass(frozen=True, slots=True)
class EnhancementParams:
    """Contextual Gabor ridge enhancement before mindtct (Hong, Wan, Jain 1998), at 500 ppi."""

    normalise_sigma: float = 8.0  # local mean/variance window, about one ridge period
    gradient_sigma: float = 1.0  # pre-smoothing of the gradient
    orientation_sigma: float = 8.0  # structure-tensor window
    min_period: float = 6.0  # pixels: 12 mm^-1 ridges at 500 ppi (dense, small fingers)
    max_period: float = 14.0  # pixels: wide-spaced ridges
    default_period: float = 9.0  # typical adult ridge period at 500 ppi (~0.46 mm)
    sigma_ratio: float = 0.45  # Gabor envelope sigma / period (Hong et al.: 4 px at ~9 px)
    orientations: int = 16
    # Local ridge frequency: the bank is applied at these multiples of the print's period
    # and each pixel keeps the period whose response energy is highest (about a quarter
    # octave either side). The only multi-period setting tried; it was first run on DB1_B
    # and DB3_B, then on DB2_B and DB4_B (docs/fingerprint.md).
    period_steps: tuple[float, ...] = (0.85, 1.0, 1.18)
    # Print area at pixel level: Gabor response energy (Gaussian window of one period) at
    # least this share of its 90th percentile on the block mask, within 16 px of that mask.
    # 0 keeps the block mask. 0.2 chosen on DB3_B alone (all pairs: 0.2 / 0.3 / off gave
    # raw+enhanced EER 3.2% / 3.9% / 4.3%); the other three sets are reported, not tuned.
    energy_fraction: float = 0.2


@dataclass(frozen=True, slots=True)
class QualityParams:
    """Our fallback quality (used only when NFIQ 2 cannot run), 0-100.

    ``100 * coherence^a * contrast^b * area^c`` on the segmented print: mean
    orientation coherence of the gradient structure tensor per block (clear
    ridge flow), normalised grey-level contrast, and the print's share of the
    frame. It is not NFIQ 2 and is reported with ``method="fallback"``.
    """

    block: int = 16
    coherence_weight: float = 1.0
    contrast_weight: float = 0.5
    area_weight: float = 0.5
    contrast_full: float = 60.0  # block std (grey levels) that counts as full contrast
    area_full: float = 0.6  # print share of the frame that counts as full area


@dataclass(frozen=True, slots=True)
class ExtractionParams:
    min_reliability: float = 0.0  # mindtct's own reliability floor passed to nbis (0: keep all)
    keep_reliability: float = 0.05  # minutiae below this reliability are dropped before MCC
    max_minutiae: int = 80  # the most reliable ones are kept (MCC's cost is quadratic)
    min_minutiae: int = 6  # fewer: the template is flagged as too poor to match
    # Minutiae farther than this outside the segmented print are dropped (sensor border
    # artefacts). Dropping every minutia outside the mask cost accuracy on FVC2002 DB1
    # (EER 3.6% against 2.5% with this margin): the block segmentation trims real print.
    mask_margin: int = 24
    # Enhanced image (``enhance``): minutiae closer than this to the segmentation border are
    # dropped; the whitened background makes every ridge "end" there. 12 px is about 1.3
    # ridge periods at 500 ppi (one choice, not tuned: docs/fingerprint.md).
    enhanced_border: int = 12


@dataclass(frozen=True, slots=True)
class CylinderParams:
    """Minutia Cylinder-Code (Cappelli, Ferrara, Maltoni, IEEE TPAMI 32(12), 2010).

    Paper values: R=70, Ns=16, Nd=6, sigma_S=28/3, sigma_D=2pi/9, mu_psi=1/100,
    tau_psi=400, omega=50, min_vc=0.75, min_m=2, min_me=0.6, delta_theta=pi/2.
    ``ns`` is 8 here: with mindtct minutiae, Ns=16 was no better on FVC2002 DB1_B
    (EER 3.9% against 3.6%, an early run) at twice the cost (docs/fingerprint.md).
    """

    radius: float = 70.0
    ns: int = 8
    nd: int = 6
    sigma_s: float = 28.0 / 3.0
    sigma_d: float = 2.0 * math.pi / 9.0
    mu_psi: float = 0.01
    tau_psi: float = 400.0
    omega: float = 50.0  # convex-hull dilation (pixels) for cell validity
    min_valid_cells: float = 0.75  # share of a cylinder's cells that must be valid
    min_neighbours: int = 2  # minutiae within radius + 3 sigma_s, besides the centre
    min_matchable_cells: float = 0.6  # share of cells valid in both to compare two cylinders
    delta_theta: float = math.pi / 2  # cylinders whose directions differ more are not compared


@dataclass(frozen=True, slots=True)
class MatchParams:
    """LSS-R: local similarity sort with relaxation (Cappelli et al. 2010, section 5)."""

    min_np: int = 4
    max_np: int = 12
    mu_p: float = 20.0
    tau_p: float = 0.4
    relaxation_rounds: int = 5
    relaxation_weight: float = 0.5
    mu_1: float = 5.0
    tau_1: float = -8.0 / 5.0
    mu_2: float = math.pi / 12
    tau_2: float = -30.0
    mu_3: float = math.pi / 12
    tau_3: float = -30.0


@dataclass(frozen=True, slots=True)
class VerificationPolicy:
    """One finger's score (LSS-R similarity, 0..1) -> decision, as measured operating points.

    Measured by ``gerbang eval fingerprint --protocol all-pairs`` on the four
    FVC2002 B sets pooled (1,120 genuine, 11,520 impostor comparisons, default
    ppi; docs/fingerprint.md), never tuned by hand:

    - ``accept`` 0.0299: FMR 0.01% (1 impostor of 11,520 at or above it), FNMR 15.8%
      pooled (DB3's capacitive prints carry most of it); the EES asks FMR 0.05%.
    - ``reject`` 0.0212: FMR 1%, FNMR 8.1%. Between the two: refer to an officer.

    Measured on the bit cylinders (2026-11-26, third change; pooled thresholds 0.029812
    and 0.021103, rounded up; docs/fingerprint-eval/all_pairs_bits.json). The float
    cylinders before had 0.0324 / 0.0248 (FNMR 13.2% / 6.6%): a saved calibration from
    then is not used (``verify.policy_from_settings``). Re-measure on the kiosk's own
    sensor before relying on them.
    """

    accept: float = 0.0299
    reject: float = 0.0212
    accept_fmr: float = 0.0001
    reject_fmr: float = 0.01


@dataclass(frozen=True, slots=True)
class FusionPolicy:
    """Two fingers fused at score level, as measured operating points.

    Measured on chimeric two-finger people (fingers 1+2, 3+4, ... of each FVC2002
    B set, 560 genuine and 2,560 impostor fused comparisons pooled; see
    ``evalfinger.FUSION_NOTE``):

    - sum: ``sum_accept`` 0.0465 is above every impostor sum (FMR 0 of 2,560, so
      below 0.04%), FNMR 1.6%; ``sum_reject`` 0.0386 is FMR 1%, FNMR 0.4%.
    - max: ``max_accept`` 0.0270 (FMR 0 of 2,560), FNMR 1.3%; ``max_reject`` 0.0225
      (FMR 1%), FNMR 0.7%.

    Fingers of one real person are not independent as chimeric ones are: expect
    somewhat worse rates on real pairs of index fingers. Measured on the bit cylinders
    (pooled thresholds: sum 0.046499 / 0.038572, max 0.026914 / 0.022419, rounded up);
    the float cylinders before had sum 0.0518 / 0.0450, max 0.0309 / 0.0260.
    """

    fingers: int = 2
    sum_accept: float = 0.0465
    sum_reject: float = 0.0386
    max_accept: float = 0.0270
    max_reject: float = 0.0225
    accept_fmr: float = 0.0004  # measured 0 of 2,560: the set's resolution
    reject_fmr: float = 0.01


# ``gerbang_dual`` (both minutiae sets of each finger and the ridge flow, :mod:`dual`; the
# kiosk's 1:1 comparison when the enrolled record holds all three), measured like the
# points above by ``gerbang eval fingerprint --protocol all-pairs`` on the four FVC2002 B
# sets pooled (docs/fingerprint-eval/all_pairs_bits.json, "pooled"; bit cylinders, the flow
# aligned by the minutiae, 2026-11-26), thresholds rounded up: one finger: FMR 0.01% at
# 0.02579 (FNMR 5.3%), FMR 1% at 0.020923 (FNMR 2.5%); two fingers summed: above every one
# of the 2,560 chimeric impostor sums at 0.042925 (FNMR 0.18%), FMR 1% at 0.03893 (FNMR 0%);
# max: 0.025227 / 0.021991. (Float cylinders before: 0.0300 / 0.0245, sum 0.0503 / 0.0453,
# max 0.0300 / 0.0255.)
DUAL_VERIFICATION = VerificationPolicy(accept=0.0258, reject=0.0210)
DUAL_FUSION = FusionPolicy(
    sum_accept=0.0430, sum_reject=0.0390, max_accept=0.0253, max_reject=0.0220
)


@dataclass(frozen=True, slots=True)
class FlowParams:
    """Ridge flow (:mod:`flow`): the orientation field on a block grid and its comparison.

    The comparison aligns the two fields by the matcher's minutia pairs: the
    ``hypotheses`` pairs of highest local similarity of each minutiae set, one
    alignment each (:func:`flow.alignments`). It keeps the best mean agreement
    over an overlap of at least ``min_overlap`` blocks (150 blocks of 8 px: about
    2.4 cm^2, a fifth of a small print). The agreement of two blocks is a kernel of
    their angle difference with ``harmonics`` terms (:func:`flow.kernel_weights`).
    ``gerbang_dual`` adds ``weight * max(agreement - floor, 0)`` to its minutiae
    score (then rescales to 0..1): only near-perfect agreement counts, so the flow
    breaks ties among pairs whose minutiae cannot decide (prints that overlap
    little) and barely moves the others. ``floor`` and ``weight``: the lowest
    pooled FNMR at FMR 0.01% (ties: pooled EER) over 0.6-0.97 x 0.03-0.3 on the
    four FVC2002 B sets (all pairs); chosen that way on three sets, they meet half
    of bozorth3's EER on the fourth, for each set held out. ``hypotheses`` (3) and
    ``harmonics`` (3, chosen for the earlier searched comparison) were not tuned
    for the aligned one beyond trying 3 and 10 alignments. docs/fingerprint.md
    ("Ridge flow") has the grid and the check.
    """

    block: int = 8  # px at 500 ppi, a little under one ridge period
    min_area: float = 0.75  # share of a block inside the enhanced print area to count
    min_overlap: int = 150  # blocks
    harmonics: int = 3  # of the agreement kernel (1: plain cos 2d); see flow.kernel_weights
    hypotheses: int = 3  # alignments per minutiae set: its best pairs by local similarity
    floor: float = 0.9
    weight: float = 0.15


@dataclass(frozen=True, slots=True)
class IndexParams:
    """1:N retrieval (``index1n``): per-minutia cylinders in FAISS, voting, re-ranking."""

    dims: int = 64  # PCA output of the L2-normalised cylinder values
    neighbours: int = 32  # nearest vectors fetched per probe cylinder
    shortlist: int = 50  # fingers re-ranked by the matcher
    voting: str = "rank"  # a neighbour votes 1/rank in its query's list ("similarity": its score)
    codes: str = "SQ8"  # FAISS code of a stored vector: SQ8 = one byte a dimension
    lists: int = 1024  # IVF cells (fewer when the training sample is small)
    min_lists: int = 64  # below this many cells the search is exhaustive (no IVF)
    probe_lists: int = 64  # IVF cells visited per query (nprobe)
    train_fingers: int = 2000  # fingers sampled to train the PCA and the IVF cells
    # gallery.FingerGallery scores every reference below this size (exact, no missed
    # mate) and searches the index from it on: about 1 s a probe finger exhaustively
    # at 5,000 references on one core here, against the index's shortlist misses
    exhaustive_below: int = 5000
    # ... and for a gerbang_dual gallery (both sets and the flow): exhaustive search at
    # 4,999 fingers took p50 1.1 s / p95 2.3 s a probe finger (the flows compared where
    # they can decide), the dual index 55 / 113 ms with more mates at rank 1 than the raw
    # sets' exhaustive search (92.5% against 86.7%); at 1,000, 204 / 406 ms
    # (docs/fingerprint.md, "Both minutiae sets in 1:N")
    dual_exhaustive_below: int = 1000


@dataclass(frozen=True, slots=True)
class SlapParams:
    """Slap segmentation (``slap``): ridge-energy foreground, finger segments, distal phalanges.

    Lengths are in pixels at 500 ppi (19.7 px per mm). The foreground is where the
    band-pass energy of the ridge band (difference of Gaussians ``sigma_fine`` -
    ``sigma_mid``, ridge period 8-12 px) is strong and dominates the next lower band
    (``sigma_mid`` - ``sigma_coarse``): ridges are periodic at the ridge frequency,
    handwriting, printed headings and card edges are not. Chosen by looking at the
    shared ANSI/NIST slap scans and FVC2002 compositions (docs/fingerprint.md), not
    fitted to a score.
    """

    max_side: int = 4000  # px at 500 ppi (20 cm): larger is not a slap (and costs memory)
    sigma_fine: float = 1.0
    sigma_mid: float = 3.0
    sigma_coarse: float = 9.0
    energy_window: float = 12.0  # Gaussian sigma of the local energy
    energy_fraction: float = 0.3  # of the 98th percentile of the energy
    min_energy: float = 3.0  # 98th percentile below this (grey levels): no ridges at all
    band_ratio: float = 1.0  # ridge-band energy / lower-band energy above this
    close_radius: int = 6
    open_radius: int = 10
    # Ridge flow: a segment's median orientation coherence (structure tensor, Gaussian
    # window coherence_sigma) below min_coherence is not a finger. The shared slaps' tips
    # measure 0.35-0.76, white or blurred noise 0.07-0.19.
    coherence_sigma: float = 6.0
    min_coherence: float = 0.25
    min_segment_area: int = 15_000  # px (~39 mm2): smaller pieces are ignored
    min_tip_area: int = 25_000  # px (~65 mm2): a fingertip is at least this large
    max_rotation_deg: float = 45.0  # hand rotation estimated from the segments' axes
    crease_window: tuple[float, float] = (0.8, 1.9)  # crease search, in tip widths from the top
    crease_depth: float = 0.75  # energy at a crease below this share of the tip's median
    max_tip_aspect: float = 1.8  # no crease found: the tip is cut at this height / width
    above_overlap: float = 0.3  # a segment above another overlaps it by this share of width
    above_reach: float = 3.0  # ... and lies within this many tip widths
    touching_width: float = 1.7  # a tip wider than this times the others: fingers touching
    max_tip_width: int = 560  # px (28 mm): wider than any single fingertip
    max_thumb_width: int = 800  # px (40 mm): wider than any single thumb
    crop_margin: int = 16  # px around the tip's segment in the crop
    mask_dilate: int = 12  # px: the crop keeps the segment dilated by this ...
    blank_others_only: bool = True  # ... and blanks only other segments (False: all the rest)


IMAGE = ImageParams()
SEGMENTATION = SegmentationParams()
QUALITY = QualityParams()
ENHANCEMENT = EnhancementParams()
EXTRACTION = ExtractionParams()
CYLINDER = CylinderParams()
MATCH = MatchParams()
VERIFICATION = VerificationPolicy()
FUSION = FusionPolicy()
FLOW = FlowParams()
INDEX = IndexParams()
SLAP = SlapParams()
