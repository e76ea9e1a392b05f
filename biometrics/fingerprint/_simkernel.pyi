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
