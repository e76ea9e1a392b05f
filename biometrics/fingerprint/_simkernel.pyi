"""Types of the C extension built from ``_simkernel.c`` (see there)."""

import numpy as np
import numpy.typing as npt

_F32 = npt.NDArray[np.float32]

def similarity(
    difference: _F32,
    both: _F32,
    b2: _F32,
    b_direction: _F32,
    a_direction: _F32,
    rows: int,
    n: int,
    min_common: float,
    min_cos: float,
    /,
) -> None: ...

_I64 = npt.NDArray[np.int64]

def relax(
    xa: _F32,
    ya: _F32,
    ta: _F32,
    xb: _F32,
    yb: _F32,
    tb: _F32,
    lam0: _F32,
    m: _I64,
    n_p: _I64,
    weight: _F32,
    out: npt.NDArray[np.float64],
    batch: int,
    k: int,
    rounds: int,
    keep: float,
    mu1: float,
    tau1: float,
    mu2: float,
    tau2: float,
    mu3: float,
    tau3: float,
    cap: float,
    /,
) -> None: ...
