"""Build of the one C extension (the rest of the project is in pyproject.toml).

``biometrics.fingerprint._simkernel`` runs the inner loops of the MCC
matcher: the local similarities of bit cylinders by popcount (AVX-512
VPOPCNTDQ, AVX2 and baseline builds picked at run time; the same results as
NumPy's), the best pairs' selection, LSS-R's compatibility and relaxation (on
x86-64 with glibc 2.35 or newer vectorised with libmvec's SIMD
``expf``/``atan2f``; scores within float32 rounding of NumPy's), and the ridge
flow's agreement. It is
optional: when it cannot be compiled, the install goes on and the matcher
uses NumPy (``match.native()`` says which; a unit test fails then).
"""

import platform

from setuptools import Extension, setup


def _libmvec() -> bool:
    """glibc's vector math library with SIMD atan2f (2.35) on x86-64."""
    name, version = platform.libc_ver()
    if platform.machine() != "x86_64" or name != "glibc":
        return False
    major, minor = (int(part) for part in version.split(".")[:2])
    return (major, minor) >= (2, 35)


setup(
    ext_modules=[
        Extension(
            "biometrics.fingerprint._simkernel",
            sources=["biometrics/fingerprint/_simkernel.c"],
            # IEEE results kept (no -ffast-math): only errno and trap semantics are dropped,
            # which lets the compiler vectorise sqrtf; no FMA contraction, so that the
            # AVX-512 clones round as the others
            extra_compile_args=[
                "-O3",
                "-fno-math-errno",
                "-fno-trapping-math",
                "-ffp-contract=off",
            ],
            libraries=["mvec", "m"] if _libmvec() else ["m"],
            optional=True,
        )
    ]
)
