/*
 * MCC local similarities from the matrix products, in one pass (biometrics.fingerprint.match).
 *
 * NumPy computes the same arithmetic as ~15 element-wise passes over the
 * (gallery rows x probe cylinders) matrix; this loop does it in one, with the
 * same float32 operations in the same order (IEEE sqrt and division: the
 * scores are equal). match.py falls back to the NumPy passes when this module
 * was not built. No state, no allocation; the GIL is released during the loop.
 *
 * similarity(difference, both, b2, b_direction, a_direction, min_common, min_cos)
 *   difference   rows x n float32, writable: -2 b.a on entry, the similarity on return
 *   both         rows x 2n float32: a2 (masked squared norm of a) | common valid cells
 *   b2           rows x n float32: masked squared norm of b
 *   b_direction  rows x 2 float32: cos, sin of each gallery row's direction
 *   a_direction  2 x n float32: cos, sin of each probe cylinder's direction
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>

static void similarity_loop(float *diff, const float *both, const float *b2m, const float *bdir,
                            const float *adir, Py_ssize_t rows, Py_ssize_t n, float min_common,
                            float min_cos) {
    const float *ac = adir, *as = adir + n;
    for (Py_ssize_t r = 0; r < rows; r++) {
        float *d = diff + r * n;
        const float *a2 = both + r * 2 * n;
        const float *common = a2 + n;
        const float *b2 = b2m + r * n;
        const float bc = bdir[2 * r], bs = bdir[2 * r + 1];
        for (Py_ssize_t c = 0; c < n; c++) {
            /* |a - b|^2 = -2ab + a2 + b2, floored at 1e-36: where both norms are 0 the
               ratio is 1 (similarity 0), as in match._similarity_t */
            float x = d[c] + a2[c];
            x = x + b2[c];
            x = x > 1e-36f ? x : 1e-36f;
            float s = 1.0f - sqrtf(x) / (sqrtf(a2[c]) + sqrtf(b2[c]) + 1e-18f);
            s = s > 0.0f ? s : 0.0f;
            float cosine = bc * ac[c] + bs * as[c];
            int ok = (common[c] >= min_common) & (cosine >= min_cos);
            d[c] = ok ? s : 0.0f;
        }
    }
}

static int check(Py_buffer *view, Py_ssize_t floats, const char *name) {
    if (view->len != floats * (Py_ssize_t)sizeof(float)) {
        PyErr_Format(PyExc_ValueError, "%s: expected %zd float32 values, got %zd bytes", name,
                     floats, view->len);
        return 0;
    }
    return 1;
}

static PyObject *similarity(PyObject *self, PyObject *args) {
    Py_buffer diff, both, b2, bdir, adir;
    Py_ssize_t rows, n;
    float min_common, min_cos;
    (void)self;
    if (!PyArg_ParseTuple(args, "w*y*y*y*y*nnff", &diff, &both, &b2, &bdir, &adir, &rows, &n,
                          &min_common, &min_cos))
        return NULL;
    PyObject *result = NULL;
    if (rows < 0 || n < 0) {
        PyErr_SetString(PyExc_ValueError, "rows and n must not be negative");
    } else if (check(&diff, rows * n, "difference") && check(&both, rows * 2 * n, "both") &&
               check(&b2, rows * n, "b2") && check(&bdir, rows * 2, "b_direction") &&
               check(&adir, 2 * n, "a_direction")) {
        Py_BEGIN_ALLOW_THREADS
        similarity_loop((float *)diff.buf, (const float *)both.buf, (const float *)b2.buf,
                        (const float *)bdir.buf, (const float *)adir.buf, rows, n, min_common,
                        min_cos);
        Py_END_ALLOW_THREADS
        result = Py_NewRef(Py_None);
    }
    PyBuffer_Release(&diff);
    PyBuffer_Release(&both);
    PyBuffer_Release(&b2);
    PyBuffer_Release(&bdir);
    PyBuffer_Release(&adir);
    return result;
}

static PyMethodDef methods[] = {
    {"similarity", similarity, METH_VARARGS,
     "MCC local similarities from the products, in place (see the module source)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_simkernel", "One-pass MCC local similarity (float32).", -1, methods,
};

PyMODINIT_FUNC PyInit__simkernel(void) { return PyModule_Create(&module); }
