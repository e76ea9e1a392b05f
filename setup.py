"""Build of the one C extension (the rest of the project is in pyproject.toml).

``biometrics.fingerprint._simkernel`` does the MCC local similarity's
element-wise work in one pass (same float32 results as the NumPy passes it
replaces). It is optional: when it cannot be compiled, the install goes on
and the matcher uses NumPy (``match.NATIVE`` says which).
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
            optional=True,
        )
    ]
)
