"""Build of the one C extension (the rest of the project is in pyproject.toml).

``biometrics.fingerprint._simkernel`` runs two inner loops of the MCC
matcher: the local similarity's element-wise work in one pass (the same
float32 results as the NumPy passes it replaces) and LSS-R's compatibility
and relaxation (glibc's libmvec SIMD ``expf``/``atan2f``, glibc 2.35 or
newer; scores within float32 rounding of NumPy's). It is optional: when it
cannot be compiled, the install goes on and the matcher uses NumPy
(``match.native()`` says which).
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "biometrics.fingerprint._simkernel",
            sources=["biometrics/fingerprint/_simkernel.c"],
            # IEEE results kept (no -ffast-math): only errno and trap semantics are dropped,
            # which lets the compiler vectorise sqrtf
            extra_compile_args=["-O3", "-fno-math-errno", "-fno-trapping-math"],
            libraries=["mvec", "m"],  # glibc's SIMD expf / atan2f
            optional=True,
        )
    ]
)
