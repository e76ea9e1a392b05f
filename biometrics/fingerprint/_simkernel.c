/*
 * Three inner loops of our fingerprint matcher, in C: two of the MCC matcher
 * (biometrics.fingerprint.match) and the ridge-flow agreement (flow.py).
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
 * agreement(): the ridge-flow agreement of flow.agreement, the best over given alignments.
 *   For each probe block on the print, the reference block under its centre (nearest,
 *   no interpolation), the kernel sum w_n cos(2n d) of their angle difference d (turned
 *   by the alignment), averaged over the blocks both cover; an alignment covering fewer
 *   than min_overlap blocks counts for nothing, and with none left the result is 0.
 *   Double precision throughout: equal to the NumPy path within ~1e-12.
 *   An alignment is left as soon as its blocks show that it cannot beat the best so far
 *   (which leaves the best exact), nor reach at_least when that is above -1: every block
 *   left could add at most 1 (the kernel's maximum), so once the blocks' shortfall from 1
 *   exceeds (1 - target) times the blocks counted plus those left, its mean stays below
 *   the target. The result is exact when it is at least at_least, and below at_least
 *   otherwise (not necessarily the agreement: gerbang_dual needs only the agreement above
 *   its floor).
 *
 *   agreement(a, rows_a, cols_a, b, rows_b, cols_b, block, alignments, count, harmonics,
 *             weights, min_overlap, at_least)
 *     a, b         rows x cols uint8: directions in degrees 0..179, 255 off the print
 *     alignments   count x 3 float64: (psi, tx, ty), a point p of b lies at R(psi) p + t in a
 *     weights      harmonics float64: the kernel's weights (flow.kernel_weights)
 *
 * match.py and flow.py fall back to NumPy when this module was not built. No state; the
 * GIL is released during the loops.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

/* glibc's libmvec (2.22 expf, 2.35 atan2f) has SIMD versions; declaring them lets gcc
   vectorise the compatibility loop with IEEE semantics otherwise kept. x86-64 only, with
   AVX-512 / AVX2 / baseline clones picked at load time; elsewhere plain scalar loops. */
#if defined(__x86_64__) && defined(__GLIBC__) && defined(__GLIBC_PREREQ)
#if __GLIBC_PREREQ(2, 35)
__attribute__((simd("notinbranch"))) float expf(float);
__attribute__((simd("notinbranch"))) float atan2f(float, float);
#define CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#endif
#endif
#ifndef CLONES
#define CLONES
#endif

/* the most pairs (k) or probe cylinders (n) accepted: far above any template's minutiae
   (ISO/IEC 19794-2 allows 255), and small enough for int indices and k * k buffers */
#define MAX_SIDE 4096

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

/* Acquires obj's buffer: C-contiguous, elements of `type` ('f' float32, 'd' float64,
   'q' int64), rows x cols of them (overflow-checked), writable if asked. 0 with an
   exception set (and nothing held) on failure. */
static int get_buffer(PyObject *obj, Py_buffer *view, char type, int writable, Py_ssize_t rows,
                      Py_ssize_t cols, const char *name) {
    int flags = PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0);
    if (PyObject_GetBuffer(obj, view, flags) != 0) return 0;
    const char *format = view->format != NULL ? view->format : "B";
    if (*format == '@' || *format == '=' || (PY_LITTLE_ENDIAN && *format == '<')) format++;
    const Py_ssize_t size = type == 'f' ? 4 : type == 'B' ? 1 : 8;
    const int type_ok = view->itemsize == size && format[0] != '\0' && format[1] == '\0' &&
                        (type == 'q' ? (format[0] == 'q' || format[0] == 'l') : format[0] == type);
    const char *type_name = type == 'f'   ? "float32"
                            : type == 'd' ? "float64"
                            : type == 'B' ? "uint8"
                                          : "int64";
    Py_ssize_t items;
    if (!type_ok) {
        PyErr_Format(PyExc_ValueError, "%s: expected %s values", name, type_name);
    } else if (__builtin_mul_overflow(rows, cols, &items) || view->len % size != 0 ||
               view->len / size != items) {
        PyErr_Format(PyExc_ValueError, "%s: expected %zd x %zd %s values, got %zd bytes", name,
                     rows, cols, type_name, view->len);
    } else {
        return 1;
    }
    PyBuffer_Release(view);
    return 0;
}

static PyObject *similarity(PyObject *self, PyObject *args) {
    PyObject *objects[5];
    Py_buffer views[5];
    Py_ssize_t rows, n;
    float min_common, min_cos;
    (void)self;
    if (!PyArg_ParseTuple(args, "OOOOOnnff", &objects[0], &objects[1], &objects[2], &objects[3],
                          &objects[4], &rows, &n, &min_common, &min_cos))
        return NULL;
    if (rows < 0 || n < 0 || n > MAX_SIDE) {
        PyErr_Format(PyExc_ValueError, "rows must not be negative and n within 0..%d", MAX_SIDE);
        return NULL;
    }
    /* difference (writable), both, b2, b_direction, a_direction */
    const Py_ssize_t shape[5][2] = {{rows, n}, {rows, 2 * n}, {rows, n}, {rows, 2}, {2, n}};
    static const char *names[5] = {"difference", "both", "b2", "b_direction", "a_direction"};
    int held = 0;
    while (held < 5 && get_buffer(objects[held], &views[held], 'f', held == 0, shape[held][0],
                                  shape[held][1], names[held]))
        held++;
    PyObject *result = NULL;
    if (held == 5) {
        Py_BEGIN_ALLOW_THREADS
        similarity_loop((float *)views[0].buf, (const float *)views[1].buf,
                        (const float *)views[2].buf, (const float *)views[3].buf,
                        (const float *)views[4].buf, rows, n, min_common, min_cos);
        Py_END_ALLOW_THREADS
        result = Py_NewRef(Py_None);
    }
    while (held > 0) PyBuffer_Release(&views[--held]);
    return result;
}

/* rho_ij for every i of one j (a column, vectorised over i), times the row weight;
   out[i] = rho_ij * w, 0 on the diagonal */
CLONES static void
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
CLONES static void
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
        /* checked before the GIL was released; clamped again, as another thread could have
           written to the array since */
        const int64_t m_b = m_count[b];
        const int m = m_b < 0 ? 0 : m_b > k ? (int)k : (int)m_b;
        if (n_p[b] <= 0 || m <= 0) continue;
        const Py_ssize_t at = b * k;
        for (int i = 0; i < m; i++) { /* direction difference of each pair, in [-pi, pi] */
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

static PyObject *relax(PyObject *self, PyObject *args) {
    PyObject *objects[11]; /* xa ya ta xb yb tb lam0 m n_p weight out */
    Py_buffer views[11];
    static const char *names[11] = {"xa", "ya", "ta", "xb", "yb", "tb", "lam0",
                                    "m", "n_p", "weight", "out"};
    static const char types[11] = {'f', 'f', 'f', 'f', 'f', 'f', 'f', 'q', 'q', 'f', 'd'};
    Py_ssize_t batch, k;
    int rounds;
    float keep, mu[3], tau[3], cap;
    (void)self;
    if (!PyArg_ParseTuple(args, "OOOOOOOOOOOnniffffffff", &objects[0], &objects[1], &objects[2],
                          &objects[3], &objects[4], &objects[5], &objects[6], &objects[7],
                          &objects[8], &objects[9], &objects[10], &batch, &k, &rounds, &keep,
                          &mu[0], &tau[0], &mu[1], &tau[1], &mu[2], &tau[2], &cap))
        return NULL;
    if (batch < 0 || k < 0 || k > MAX_SIDE || rounds < 0) {
        PyErr_Format(PyExc_ValueError,
                     "batch and rounds must not be negative and k within 0..%d", MAX_SIDE);
        return NULL;
    }
    int held = 0;
    while (held < 11 && get_buffer(objects[held], &views[held], types[held], held == 10, batch,
                                   held < 7 ? k : 1, names[held]))
        held++;
    PyObject *result = NULL;
    int ok = held == 11;
    const int64_t *m_count = ok ? views[7].buf : NULL;
    for (Py_ssize_t b = 0; ok && b < batch; b++) {
        if (m_count[b] < 0 || m_count[b] > k) {
            PyErr_Format(PyExc_ValueError, "m[%zd] = %lld is outside 0..k", b,
                         (long long)m_count[b]);
            ok = 0;
        }
    }
    if (ok) {
        int status;
        Py_BEGIN_ALLOW_THREADS
        status = relax_loop(views[0].buf, views[1].buf, views[2].buf, views[3].buf, views[4].buf,
                            views[5].buf, views[6].buf, m_count, views[8].buf, views[9].buf,
                            batch, k, rounds, keep, mu, tau, cap, views[10].buf);
        Py_END_ALLOW_THREADS
        if (status != 0)
            PyErr_NoMemory();
        else
            result = Py_NewRef(Py_None);
    }
    while (held > 0) PyBuffer_Release(&views[--held]);
    return result;
}

/* the block grid's largest side (flow.MAX_BLOCKS_PER_SIDE is far below it) and the most
   alignments or harmonics accepted */
#define MAX_GRID 4096
#define MAX_ALIGNMENTS 1024
#define MAX_HARMONICS 16

/* The best mean agreement of two ridge flows over the given alignments (see flow.py).

   The probe's blocks on the print are listed once (centre and direction, in row order),
   and for each alignment the kernel value of each of the 180 direction differences is
   tabulated once: a block's value depends only on that difference and the alignment. The
   table holds the very expressions the per-block loop computed before, and the blocks are
   summed in the same order, so the result is the same to the bit. Returns -2 when the
   list cannot be allocated (the caller raises MemoryError). */
static double agreement_loop(const uint8_t *a, Py_ssize_t rows_a, Py_ssize_t cols_a,
                             const uint8_t *b, Py_ssize_t rows_b, Py_ssize_t cols_b, int block,
                             const double *alignments, Py_ssize_t count, const double *weights,
                             int harmonics, Py_ssize_t min_overlap, double at_least) {
    const double degree = 3.14159265358979323846 / 180.0;
    double cos2[180], sin2[180], table[180];
    for (int k = 0; k < 180; k++) {
        cos2[k] = cos(2.0 * k * degree);
        sin2[k] = sin(2.0 * k * degree);
    }
    Py_ssize_t on = 0;
    for (Py_ssize_t i = 0; i < rows_a * cols_a; i++) on += a[i] < 180;
    double *centre = malloc(sizeof(double) * 2 * (size_t)(on > 0 ? on : 1));
    uint8_t *direction = malloc((size_t)(on > 0 ? on : 1));
    if (centre == NULL || direction == NULL) {
        free(centre);
        free(direction);
        return -2.0;
    }
    Py_ssize_t listed = 0;
    for (Py_ssize_t r = 0; r < rows_a; r++) {
        for (Py_ssize_t col = 0; col < cols_a; col++) {
            const uint8_t da = a[r * cols_a + col];
            if (da >= 180) continue;
            centre[2 * listed] = (col + 0.5) * block;
            centre[2 * listed + 1] = (r + 0.5) * block;
            direction[listed++] = da;
        }
    }
    const double scale = 1.0 / block; /* the block sizes are powers of two or exact enough */
    const double width = (double)cols_b, height = (double)rows_b;
    double best = 0.0;
    int found = 0;
    for (Py_ssize_t h = 0; h < count; h++) {
        const double psi = alignments[3 * h], tx = alignments[3 * h + 1];
        const double ty = alignments[3 * h + 2];
        /* a probe block's centre p lies at R(-psi) (p - t) in the reference (qx, qy: in
           reference blocks) */
        const double c = cos(psi), s = sin(psi), c2 = cos(2.0 * psi), s2 = sin(2.0 * psi);
        for (int k = 0; k < 180; k++) {
            /* cos 2d of d = k degrees - psi, then cos 2nd by Chebyshev's recurrence */
            const double t1 = cos2[k] * c2 + sin2[k] * s2;
            double previous = 1.0, current = t1, value = weights[0] * t1;
            for (int n = 1; n < harmonics; n++) {
                const double next = 2.0 * t1 * current - previous;
                previous = current;
                current = next;
                value += weights[n] * current;
            }
            table[k] = value;
        }
        double total = 0.0;
        Py_ssize_t overlap = 0;
        /* the mean this alignment must reach to matter (below -1: none yet) */
        const double target = found && best > at_least ? best : at_least;
        const double slack = 1.0 - target;
        int left = 0;
        for (Py_ssize_t i = 0; i < listed; i++) {
            /* every 64 blocks: can it still reach the target? (a margin of 1e-9 a block
               for the rounding of the sums) */
            if (target > -1.0 && (i & 63) == 0 && i > 0) {
                const double shortfall = (double)overlap - total;
                const double most = (double)(overlap + (listed - i));
                if (shortfall > slack * most + 1e-9 * (double)listed) {
                    left = 1;
                    break;
                }
            }
            const double px = centre[2 * i] - tx, py = centre[2 * i + 1] - ty;
            const double qx = (c * px + s * py) * scale;
            const double qy = (c * py - s * px) * scale;
            /* inside the grid (a NaN fails too); there truncation is the floor */
            if (!(qx >= 0.0 && qy >= 0.0 && qx < width && qy < height)) continue;
            const uint8_t db = b[(Py_ssize_t)qy * cols_b + (Py_ssize_t)qx];
            if (db >= 180) continue;
            int k = (int)direction[i] - (int)db;
            k += k < 0 ? 180 : 0;
            total += table[k];
            overlap++;
        }
        if (!left && overlap >= min_overlap && overlap > 0) {
            const double mean = total / (double)overlap;
            if (!found || mean > best) best = mean;
            found = 1;
        }
    }
    free(centre);
    free(direction);
    return found ? (best < -1.0 ? -1.0 : best > 1.0 ? 1.0 : best) : 0.0;
}

static PyObject *agreement(PyObject *self, PyObject *args) {
    PyObject *objects[4]; /* a b alignments weights */
    Py_buffer views[4];
    Py_ssize_t rows_a, cols_a, rows_b, cols_b, count, min_overlap;
    int block, harmonics;
    double at_least;
    (void)self;
    if (!PyArg_ParseTuple(args, "OnnOnniOniOnd", &objects[0], &rows_a, &cols_a, &objects[1],
                          &rows_b, &cols_b, &block, &objects[2], &count, &harmonics, &objects[3],
                          &min_overlap, &at_least))
        return NULL;
    if (rows_a < 0 || cols_a < 0 || rows_b < 0 || cols_b < 0 || rows_a > MAX_GRID ||
        cols_a > MAX_GRID || rows_b > MAX_GRID || cols_b > MAX_GRID || block < 1 ||
        count < 0 || count > MAX_ALIGNMENTS || harmonics < 1 || harmonics > MAX_HARMONICS) {
        PyErr_Format(PyExc_ValueError,
                     "grids of 0..%d blocks a side, a block of at least 1 px, 0..%d alignments "
                     "and 1..%d harmonics expected",
                     MAX_GRID, MAX_ALIGNMENTS, MAX_HARMONICS);
        return NULL;
    }
    const Py_ssize_t shape[4][2] = {{rows_a, cols_a}, {rows_b, cols_b}, {count, 3}, {harmonics, 1}};
    static const char types[4] = {'B', 'B', 'd', 'd'};
    static const char *names[4] = {"a", "b", "alignments", "weights"};
    int held = 0;
    while (held < 4 && get_buffer(objects[held], &views[held], types[held], 0, shape[held][0],
                                  shape[held][1], names[held]))
        held++;
    PyObject *result = NULL;
    if (held == 4) {
        double best;
        Py_BEGIN_ALLOW_THREADS
        best = agreement_loop(views[0].buf, rows_a, cols_a, views[1].buf, rows_b, cols_b, block,
                              views[2].buf, count, views[3].buf, harmonics, min_overlap,
                              at_least);
        Py_END_ALLOW_THREADS
        result = best < -1.5 ? PyErr_NoMemory() : PyFloat_FromDouble(best);
    }
    while (held > 0) PyBuffer_Release(&views[--held]);
    return result;
}

static PyMethodDef methods[] = {
    {"similarity", similarity, METH_VARARGS,
     "MCC local similarities from the products, in place (see the module source)."},
    {"relax", relax, METH_VARARGS,
     "LSS-R compatibility, relaxation and nP mean for a chunk (see the module source)."},
    {"agreement", agreement, METH_VARARGS,
     "Best mean agreement of two ridge flows over given alignments (see flow.py)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "_simkernel",
    .m_doc = "Inner loops of the MCC matcher (float32).",
    .m_size = -1,
    .m_methods = methods,
};

/* Raised whenever a function's arguments change, so that match.py can tell an older build
   (2: agreement takes at_least) */
#define KERNEL_ABI 2

PyMODINIT_FUNC PyInit__simkernel(void) {
    PyObject *m = PyModule_Create(&module);
    if (m != NULL && PyModule_AddIntConstant(m, "ABI", KERNEL_ABI) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
