"""Face biometrics: capture guidance, quality, liveness, 1:1 verification, evaluation.

Start at :mod:`biometrics.face.api` (the facade). Modules, in pipeline order:
``imageio`` (content-sniffed loading), ``models`` (explicit loading), ``detect``
and ``still`` (detection, landmarks), ``track`` and ``pipeline`` (the live
guidance loop), ``measures``/``quality``/``icao`` (quality and portrait rules),
``capture`` and ``embed`` (best frames, alignment, embedding), ``verify``
(policy and decisions), ``liveness`` (challenge and presentation-attack cues),
``evalface``/``datasets``/``baseline``/``bench`` (evaluation as a feature).
All tuning constants are in ``params``. Importing this package loads nothing.
"""
