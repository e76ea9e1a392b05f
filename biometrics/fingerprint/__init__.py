"""Fingerprint biometrics: samples, quality, minutiae, our MCC matcher, evaluation.

Modules, in pipeline order: ``image`` (loading, checks, 500 ppi), ``segment``
(print area), ``nbisx`` (the NIST NBIS boundary: mindtct, NFIQ 2, bozorth3),
``quality`` (NFIQ 2 or the labelled fallback), ``extract`` (the pipeline),
``template`` (typed minutiae and cylinders), ``mcc`` (cylinders), ``match``
(LSS-R), ``verify`` (decisions, two-finger fusion), ``iso`` (ISO/IEC 19794-2),
``index1n``/``compact``/``gallery``/``indexbench`` (1:N: the
candidate index, compact templates, the search object the kiosk uses, the bench), ``dataset``/``evalfinger`` (evaluation as a
feature); the facade is ``api``. All tuning constants are in ``params``.
Importing this package loads nothing.
"""
