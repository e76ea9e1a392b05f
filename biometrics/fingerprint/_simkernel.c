/*
 * Two inner loops of our MCC matcher (biometrics.fingerprint.match), in C.
 *
 * similarity(): the local similarities from the matrix products, in one pass.
 *   NumPy computes the same arithmetic as ~15 element-wise passes over the
 *   (gallery rows x probe cylinders) matrix; this loop does it in one, with
 *   the same float32 operations in the same order (IEEE sqrt and division:
 *   the scores are equal).
 *
 *   similarity(difference, both, b2, b_direction, a_direction, rows, n, min_common, min_cos)
 *     difference   rows x n float32, writable: -2 b.a on entry, the similarity on return
 *     both         rows x 2n float32: a2 (masked squared norm of a) | common valid cells
 *     b2           rows x n float32: masked squared norm of b
 *     b_direction  rows x 2 float32: cos, sin of each gallery row's direction
 *     a_direction  2 x n float32: cos, sin of each probe cylinder's direction
 *
 * relax(): LSS-R after the local similarity sort, for a chunk of references:
 *   the compatibility rho of every two of the m active pairs (three sigmoids of
 *   the distance, direction and radial-angle differences, as
 *   match._compatibility), the relaxation rounds, and the mean of the nP pairs
 *   of highest efficiency. expf and atan2f are glibc's libmvec SIMD versions
 *   (declared below; glibc declares them only under -ffast-math, which is not
 *   used): scores differ from the NumPy path by float32 rounding (~3e-8).
 *
 *   relax(xa, ya, ta, xb, yb, tb, lam0, m, n_p, weight, out, batch, k, rounds, keep,
 *         mu1, tau1, mu2, tau2, mu3, tau3, cap)
 *     xa .. tb     batch x k float32: the k sorted pairs' minutiae (probe a, reference b)
 *     lam0         batch x k float32: their local similarities, sorted, active ones first
 *     m, n_p       batch int64: active pairs (<= k), pairs averaged (0: score 0)
 *     weight       batch float32: (1 - relaxation weight) / (nR - 1)
 *     out          batch float64, writable: the scores
 *
 * match.py falls back to NumPy when this module was not built. No state; the
 * GIL is released during the loops.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

/* glibc's libmvec (2.22 expf, 2.35 atan2f) has SIMD versions; declaring them lets gcc
   vectorise the compatibility loop with IEEE semantics otherwise kept */
__attribute__((simd("notinbranch"))) float expf(float);
__attribute__((simd("notinbranch"))) float atan2f(float, float);

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

static int check_size(Py_buffer *view, Py_ssize_t items, Py_ssize_t item_size, const char *name);

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
    } else if (check_size(&diff, rows * n, 4, "difference") &&
               check_size(&both, rows * 2 * n, 4, "both") && check_size(&b2, rows * n, 4, "b2") &&
               check_size(&bdir, rows * 2, 4, "b_direction") &&
               check_size(&adir, 2 * n, 4, "a_direction")) {
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

/* rho_ij for every i of one j (a column, vectorised over i), times the row weight;
   out[i] = rho_ij * w, 0 on the diagonal */
__attribute__((target_clones("avx512f", "avx2", "default"))) static void
compatibility_column(const float *restrict xa, const float *restrict ya, const float *restrict xb,
                     const float *restrict yb, const float *restrict delta, int j, int m, float w,
                     const float *restrict mu, const float *restrict tau, float cap,
                     float *restrict out) {
    const float two_pi = 6.28318530717958647692f;
    const float xj = xa[j], yj = ya[j], xbj = xb[j], ybj = yb[j], dj = delta[j];
    for (int i = 0; i < m; i++) {
        /* segment i -> j in a and in b; the angle from b's to a's (y up) */
        float dxa = xj - xa[i], dya = yj - ya[i], dxb = xbj - xb[i], dyb = ybj - yb[i];
        float turn = atan2f(dxa * dyb - dxb * dya, dxa * dxb + dya * dyb);
        float e1 = fabsf(sqrtf(dxa * dxa + dya * dya) - sqrtf(dxb * dxb + dyb * dyb));
        float e2 = fabsf(delta[i] - dj);
        e2 = e2 < two_pi - e2 ? e2 : two_pi - e2;
        float e3 = fabsf(delta[i] - turn);
        e3 = e3 < two_pi - e3 ? e3 : two_pi - e3;
        /* each sigmoid as 1 / (1 + e), e capped at exp(cap): no float32 subnormals */
        float x1 = (e1 - mu[0]) * -tau[0], x2 = (e2 - mu[1]) * -tau[1];
        float x3 = (e3 - mu[2]) * -tau[2];
        x1 = x1 < cap ? x1 : cap;
        x2 = x2 < cap ? x2 : cap;
        x3 = x3 < cap ? x3 : cap;
        float v = w / ((1.0f + expf(x1)) * (1.0f + expf(x2)) * (1.0f + expf(x3)));
        out[i] = i == j ? 0.0f : v;
    }
}

/* the rounds: lam <- keep * lam + rho lam, rho stored by column (rho_t[j * m + i]) */
__attribute__((target_clones("avx512f", "avx2", "default"))) static void
relaxation_rounds(const float *restrict rho_t, const float *restrict lam0, float *restrict lam,
                  float *restrict support, int m, int rounds, float keep) {
    for (int i = 0; i < m; i++) lam[i] = lam0[i];
    for (int r = 0; r < rounds; r++) {
        for (int i = 0; i < m; i++) support[i] = 0.0f;
        for (int j = 0; j < m; j++) {
            const float lj = lam[j];
            const float *column = rho_t + (size_t)j * m;
            for (int i = 0; i < m; i++) support[i] += column[i] * lj;
        }
        for (int i = 0; i < m; i++) lam[i] = keep * lam[i] + support[i];
    }
}

typedef struct {
    float efficiency;
    int index;
} ranked_pair;

static int by_efficiency(const void *p, const void *q) {
    const ranked_pair *a = p, *b = q;
    if (a->efficiency != b->efficiency) return a->efficiency > b->efficiency ? -1 : 1;
    return (a->index > b->index) - (a->index < b->index); /* ties: stable, as NumPy */
}

/* returns 0, or -1 when out of memory */
static int relax_loop(const float *xa, const float *ya, const float *ta, const float *xb,
                      const float *yb, const float *tb, const float *lam0, const int64_t *m_count,
                      const int64_t *n_p, const float *weight, Py_ssize_t batch, Py_ssize_t k,
                      int rounds, float keep, const float *mu, const float *tau, float cap,
                      double *out) {
    const float pi = 3.14159265358979323846f, two_pi = 6.28318530717958647692f;
    float *rho_t = malloc(sizeof(float) * (size_t)(k * k + 3 * k));
    ranked_pair *ranked = malloc(sizeof(ranked_pair) * (size_t)(k > 0 ? k : 1));
    if (rho_t == NULL || ranked == NULL) {
        free(rho_t);
        free(ranked);
        return -1;
    }
    float *delta = rho_t + k * k, *lam = delta + k, *support = lam + k;
    for (Py_ssize_t b = 0; b < batch; b++) {
        out[b] = 0.0;
        const int m = (int)m_count[b];
        if (n_p[b] <= 0 || m <= 0) continue;
        const Py_ssize_t at = b * k;
        for (int i = 0; i < m; i++) { /* direction difference of each pair, in [-pi, pi) */
            float d = fmodf(ta[at + i] - tb[at + i] + pi, two_pi);
            if (d < 0.0f) d += two_pi;
            delta[i] = d - pi;
        }
        for (int j = 0; j < m; j++)
            compatibility_column(xa + at, ya + at, xb + at, yb + at, delta, j, m, weight[b], mu,
                                 tau, cap, rho_t + (size_t)j * m);
        relaxation_rounds(rho_t, lam0 + at, lam, support, m, rounds, keep);
        for (int i = 0; i < m; i++) {
            ranked[i].efficiency = lam[i] / lam0[at + i];
            ranked[i].index = i;
        }
        qsort(ranked, (size_t)m, sizeof(ranked_pair), by_efficiency);
        const int64_t take = n_p[b] < m ? n_p[b] : m;
        double total = 0.0;
        for (int64_t t = 0; t < take; t++) total += lam[ranked[t].index];
        out[b] = total / (double)n_p[b];
    }
    free(rho_t);
    free(ranked);
    return 0;
}

static int check_size(Py_buffer *view, Py_ssize_t items, Py_ssize_t item_size, const char *name) {
    if (view->len != items * item_size) {
        PyErr_Format(PyExc_ValueError, "%s: expected %zd values of %zd bytes, got %zd bytes",
                     name, items, item_size, view->len);
        return 0;
    }
    return 1;
}

static PyObject *relax(PyObject *self, PyObject *args) {
    Py_buffer v[11]; /* xa ya ta xb yb tb lam0 m n_p weight out */
    static const char *names[11] = {"xa", "ya", "ta", "xb", "yb", "tb", "lam0",
                                    "m", "n_p", "weight", "out"};
    Py_ssize_t batch, k;
    int rounds;
    float keep, mu[3], tau[3], cap;
    (void)self;
    if (!PyArg_ParseTuple(args, "y*y*y*y*y*y*y*y*y*y*w*nniffffffff", &v[0], &v[1], &v[2], &v[3],
                          &v[4], &v[5], &v[6], &v[7], &v[8], &v[9], &v[10], &batch, &k, &rounds,
                          &keep, &mu[0], &tau[0], &mu[1], &tau[1], &mu[2], &tau[2], &cap))
        return NULL;
    PyObject *result = NULL;
    int ok = 1;
    if (batch < 0 || k < 0 || rounds < 0) {
        PyErr_SetString(PyExc_ValueError, "batch, k and rounds must not be negative");
        ok = 0;
    }
    for (int i = 0; ok && i < 7; i++) ok = check_size(&v[i], batch * k, 4, names[i]);
    if (ok) ok = check_size(&v[7], batch, 8, names[7]) && check_size(&v[8], batch, 8, names[8]) &&
                 check_size(&v[9], batch, 4, names[9]) && check_size(&v[10], batch, 8, names[10]);
    const int64_t *m_count = v[7].buf;
    for (Py_ssize_t b = 0; ok && b < batch; b++) {
        if (m_count[b] < 0 || m_count[b] > k) {
            PyErr_Format(PyExc_ValueError, "m[%zd] = %lld is outside 0..k", b, (long long)m_count[b]);
            ok = 0;
        }
    }
    if (ok) {
        int status;
        Py_BEGIN_ALLOW_THREADS
        status = relax_loop(v[0].buf, v[1].buf, v[2].buf, v[3].buf, v[4].buf, v[5].buf, v[6].buf,
                            m_count, v[8].buf, v[9].buf, batch, k, rounds, keep, mu, tau, cap,
                            v[10].buf);
        Py_END_ALLOW_THREADS
        if (status != 0)
            PyErr_NoMemory();
        else
            result = Py_NewRef(Py_None);
    }
    for (int i = 0; i < 11; i++) PyBuffer_Release(&v[i]);
    return result;
}

static PyMethodDef methods[] = {
    {"similarity", similarity, METH_VARARGS,
     "MCC local similarities from the products, in place (see the module source)."},
    {"relax", relax, METH_VARARGS,
     "LSS-R compatibility, relaxation and nP mean for a chunk (see the module source)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_simkernel", "Inner loops of the MCC matcher (float32).", -1, methods,
};

PyMODINIT_FUNC PyInit__simkernel(void) { return PyModule_Create(&module); }
