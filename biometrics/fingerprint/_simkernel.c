/*
 * Inner loops of our fingerprint matcher, in C: three of the MCC matcher
 * (biometrics.fingerprint.match) and the ridge-flow agreement (flow.py).
 *
 * similarity_bits(): the local similarities of bit cylinders (bit-based MCC, template.py
 *   pack_bits), by popcount: for probe cylinder a and gallery row b, with V the validity
 *   words repeated over the direction bins, na = |a & Vb|, nb = |b & Va|, both = |a & b|:
 *   |a xor b| on the cells valid in both is na + nb - 2 both, and the similarity is
 *   1 - sqrt(na + nb - 2 both) / (sqrt(na) + sqrt(nb)) (0 where both norms are 0), kept
 *   where at least min_common spatial cells are valid in both and the directions' cosine
 *   is at least min_cos. Integer counts, then the same float32 operations as the NumPy
 *   path (match._similarity_bits_numpy): the results are equal. The common layout (5
 *   value words, 1 spatial word) has a loop the compiler vectorises, built for AVX-512
 *   with VPOPCNTDQ, AVX2 and the baseline and picked at run time; other layouts a plain
 *   loop.
 *
 *   similarity_bits(a, a_direction, n, g, g_direction, rows, value_words, spatial_words,
 *                   min_common, min_cos, out)
 *     a            n x (2 W + S) uint64: the probe's cylinders, row by row
 *     a_direction  n x 2 float32: cos, sin of each probe cylinder's direction
 *     g            (2 W + S) x rows uint64: the gallery's words, one word of every row
 *                  after another
 *     g_direction  2 x rows float32: cos of every row, then sin
 *     out          rows x n float32, writable: the similarities
 *
 * best(): the local similarity sort's selection: per row of a chunk's similarities,
 *   the positions of the k highest, best first, ties to the lower position (as a stable
 *   sort of the row, descending, would give; so the pairs chosen never depend on the
 *   padding or the neighbours of a reference in a gallery: bit similarities tie often).
 *
 *   best(gamma, batch, length, k, out)
 *     gamma        batch x length float32, every value >= 0
 *     out          batch x k int64, writable: positions in the row, k <= length
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
#include <string.h>

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

/* The similarity of one probe cylinder and one gallery row from their counts (see above). */
#define BIT_SIMILARITY(out_value, both, xa, xb, common, cosine)                                \
    do {                                                                                        \
        const float diff_ = (float)((xa) + (xb) - 2 * (both));                                  \
        const float den_ = sqrtf((float)(xa)) + sqrtf((float)(xb));                             \
        const float s_ = den_ > 0.0f ? 1.0f - sqrtf(diff_) / den_ : 0.0f;                       \
        (out_value) = ((common) >= min_common && (cosine) >= min_cos && s_ > 0.0f) ? s_ : 0.0f; \
    } while (0)

/* gallery rows in tiles of this many: a tile's words (88 bytes a row) stay in the L2 cache
   while every probe cylinder passes over them */
#define BIT_TILE 2048

/* 5 value words and 1 spatial word (ns 8, nd 6: 312 value bits, 52 spatial cells) */
#define SIMILARITY_BITS_5(NAME, ATTRIBUTES)                                                     \
    ATTRIBUTES static void NAME(const uint64_t *a, const float *adir, Py_ssize_t n,            \
                                const uint64_t *g, const float *gdir, Py_ssize_t rows,          \
                                float min_common, float min_cos, float *out) {                  \
        const uint64_t *b0 = g, *b1 = g + rows, *b2 = g + 2 * rows, *b3 = g + 3 * rows;         \
        const uint64_t *b4 = g + 4 * rows, *v0 = g + 5 * rows, *v1 = g + 6 * rows;              \
        const uint64_t *v2 = g + 7 * rows, *v3 = g + 8 * rows, *v4 = g + 9 * rows;              \
        const uint64_t *sp = g + 10 * rows;                                                     \
        const float *gc = gdir, *gs = gdir + rows;                                              \
        for (Py_ssize_t j0 = 0; j0 < rows; j0 += BIT_TILE) {                                    \
            const Py_ssize_t end = rows - j0 < BIT_TILE ? rows : j0 + BIT_TILE;                 \
            for (Py_ssize_t i = 0; i < n; i++) {                                                \
                const uint64_t *ai = a + i * 11;                                                \
                const uint64_t a0 = ai[0], a1 = ai[1], a2 = ai[2], a3 = ai[3], a4 = ai[4];      \
                const uint64_t w0 = ai[5], w1 = ai[6], w2 = ai[7], w3 = ai[8], w4 = ai[9];      \
                const uint64_t as = ai[10];                                                     \
                const float ci = adir[2 * i], si = adir[2 * i + 1];                             \
                for (Py_ssize_t j = j0; j < end; j++) {                                         \
                    const uint64_t both = POPCOUNT(a0 & b0[j]) + POPCOUNT(a1 & b1[j]) +         \
                                          POPCOUNT(a2 & b2[j]) + POPCOUNT(a3 & b3[j]) +         \
                                          POPCOUNT(a4 & b4[j]);                                 \
                    const uint64_t xa = POPCOUNT(a0 & v0[j]) + POPCOUNT(a1 & v1[j]) +           \
                                        POPCOUNT(a2 & v2[j]) + POPCOUNT(a3 & v3[j]) +           \
                                        POPCOUNT(a4 & v4[j]);                                   \
                    const uint64_t xb = POPCOUNT(b0[j] & w0) + POPCOUNT(b1[j] & w1) +           \
                                        POPCOUNT(b2[j] & w2) + POPCOUNT(b3[j] & w3) +           \
                                        POPCOUNT(b4[j] & w4);                                   \
                    const float common = (float)POPCOUNT(as & sp[j]);                           \
                    const float cosine = gc[j] * ci + gs[j] * si;                               \
                    BIT_SIMILARITY(out[j * n + i], both, xa, xb, common, cosine);               \
                }                                                                               \
            }                                                                                   \
        }                                                                                       \
    }

#define POPCOUNT(x) ((uint64_t)__builtin_popcountll(x))
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
/* gcc 12's target_clones cannot pick by VPOPCNTDQ: three builds, chosen at the call */
SIMILARITY_BITS_5(similarity_bits_5_vpopcnt,
                  __attribute__((target("avx512f,avx512vl,avx512bw,avx512dq,avx512vpopcntdq,"
                                        "popcnt"))))
SIMILARITY_BITS_5(similarity_bits_5_avx2, __attribute__((target("avx2,popcnt"))))
SIMILARITY_BITS_5(similarity_bits_5_base, )
static void similarity_bits_5(const uint64_t *a, const float *adir, Py_ssize_t n,
                              const uint64_t *g, const float *gdir, Py_ssize_t rows,
                              float min_common, float min_cos, float *out) {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512vpopcntdq") && __builtin_cpu_supports("avx512vl") &&
        __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512dq"))
        similarity_bits_5_vpopcnt(a, adir, n, g, gdir, rows, min_common, min_cos, out);
    else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("popcnt"))
        similarity_bits_5_avx2(a, adir, n, g, gdir, rows, min_common, min_cos, out);
    else
        similarity_bits_5_base(a, adir, n, g, gdir, rows, min_common, min_cos, out);
}
#else
SIMILARITY_BITS_5(similarity_bits_5, )
#endif

/* any other layout: W value words, S spatial words */
static void similarity_bits_any(const uint64_t *a, const float *adir, Py_ssize_t n,
                                const uint64_t *g, const float *gdir, Py_ssize_t rows, int W,
                                int S, float min_common, float min_cos, float *out) {
    const int stride = 2 * W + S;
    for (Py_ssize_t j = 0; j < rows; j++) {
        for (Py_ssize_t i = 0; i < n; i++) {
            const uint64_t *ai = a + i * stride;
            uint64_t both = 0, xa = 0, xb = 0, count = 0;
            for (int w = 0; w < W; w++) {
                const uint64_t bw = g[(Py_ssize_t)w * rows + j];
                const uint64_t vw = g[(Py_ssize_t)(W + w) * rows + j];
                both += POPCOUNT(ai[w] & bw);
                xa += POPCOUNT(ai[w] & vw);
                xb += POPCOUNT(bw & ai[W + w]);
            }
            for (int w = 0; w < S; w++) count += POPCOUNT(ai[2 * W + w] & g[(Py_ssize_t)(2 * W + w) * rows + j]);
            const float common = (float)count;
            const float cosine = gdir[j] * adir[2 * i] + gdir[rows + j] * adir[2 * i + 1];
            BIT_SIMILARITY(out[j * n + i], both, xa, xb, common, cosine);
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
                        (type == 'q'   ? (format[0] == 'q' || format[0] == 'l')
                         : type == 'Q' ? (format[0] == 'Q' || format[0] == 'L')
                                       : format[0] == type);
    const char *type_name = type == 'f'   ? "float32"
                            : type == 'd' ? "float64"
                            : type == 'B' ? "uint8"
                            : type == 'Q' ? "uint64"
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

/* value words of a row at most: far above a cylinder of ns 16 and nd 8 (2,048 bits) */
#define MAX_WORDS 64

static PyObject *similarity_bits(PyObject *self, PyObject *args) {
    PyObject *objects[5]; /* a a_direction g g_direction out */
    Py_buffer views[5];
    Py_ssize_t n, rows;
    int value_words, spatial_words;
    float min_common, min_cos;
    (void)self;
    if (!PyArg_ParseTuple(args, "OOnOOniiffO", &objects[0], &objects[1], &n, &objects[2],
                          &objects[3], &rows, &value_words, &spatial_words, &min_common,
                          &min_cos, &objects[4]))
        return NULL;
    if (rows < 0 || n < 0 || n > MAX_SIDE || value_words < 1 || value_words > MAX_WORDS ||
        spatial_words < 1 || spatial_words > MAX_WORDS) {
        PyErr_Format(PyExc_ValueError,
                     "rows must not be negative, n within 0..%d and 1..%d words of each kind",
                     MAX_SIDE, MAX_WORDS);
        return NULL;
    }
    const Py_ssize_t stride = 2 * (Py_ssize_t)value_words + spatial_words;
    const Py_ssize_t shape[5][2] = {{n, stride}, {n, 2}, {stride, rows}, {2, rows}, {rows, n}};
    static const char types[5] = {'Q', 'f', 'Q', 'f', 'f'};
    static const char *names[5] = {"a", "a_direction", "g", "g_direction", "out"};
    int held = 0;
    while (held < 5 && get_buffer(objects[held], &views[held], types[held], held == 4,
                                  shape[held][0], shape[held][1], names[held]))
        held++;
    PyObject *result = NULL;
    if (held == 5) {
        Py_BEGIN_ALLOW_THREADS
        if (value_words == 5 && spatial_words == 1)
            similarity_bits_5(views[0].buf, views[1].buf, n, views[2].buf, views[3].buf, rows,
                              min_common, min_cos, views[4].buf);
        else
            similarity_bits_any(views[0].buf, views[1].buf, n, views[2].buf, views[3].buf, rows,
                                value_words, spatial_words, min_common, min_cos, views[4].buf);
        Py_END_ALLOW_THREADS
        result = Py_NewRef(Py_None);
    }
    while (held > 0) PyBuffer_Release(&views[--held]);
    return result;
}

/* the k best of each row (see the header). Each value is a key: its float bits (values
   are >= 0, so they order as integers) above the position's complement, so that a higher
   key ranks first and equal values rank by position. Positive values are gathered in
   buffers of 4k keys; when one fills, a selection keeps the k highest and their lowest
   becomes the bar a later key must pass. At the end the k highest are sorted, highest
   first, and zeros fill what is left. */
static inline uint64_t rank_key(float value, Py_ssize_t position) {
    uint32_t bits;
    memcpy(&bits, &value, sizeof bits);
    return ((uint64_t)bits << 32) | (uint64_t)(UINT32_MAX - (uint32_t)position);
}

/* reorders c[0..n) so that its k highest keys come first (quickselect, median of three) */
static void select_highest(uint64_t *c, Py_ssize_t n, Py_ssize_t k) {
    Py_ssize_t lo = 0, hi = n - 1;
    while (hi > lo) {
        const Py_ssize_t mid = lo + (hi - lo) / 2;
        uint64_t t;
        if (c[mid] > c[lo]) { t = c[mid]; c[mid] = c[lo]; c[lo] = t; }
        if (c[hi] > c[lo]) { t = c[hi]; c[hi] = c[lo]; c[lo] = t; }
        if (c[hi] > c[mid]) { t = c[hi]; c[hi] = c[mid]; c[mid] = t; }
        const uint64_t pivot = c[mid];
        Py_ssize_t i = lo, j = hi;
        while (i <= j) {
            while (c[i] > pivot) i++;
            while (pivot > c[j]) j--;
            if (i <= j) { t = c[i]; c[i] = c[j]; c[j] = t; i++; j--; }
        }
        if (k - 1 <= j) hi = j;
        else if (k - 1 >= i) lo = i;
        else return;
    }
}

static void sort_highest_first(uint64_t *c, Py_ssize_t n) { /* insertion sort: n is k */
    for (Py_ssize_t i = 1; i < n; i++) {
        const uint64_t x = c[i];
        Py_ssize_t j = i - 1;
        while (j >= 0 && c[j] < x) {
            c[j + 1] = c[j];
            j--;
        }
        c[j + 1] = x;
    }
}

/* the k highest of the keys gathered (held of them at c), c[0..k) on return; the bar a
   later key must pass: the lowest of them */
static uint64_t keep_highest(uint64_t *c, Py_ssize_t held, Py_ssize_t k) {
    select_highest(c, held, k);
    uint64_t bar = c[0];
    for (Py_ssize_t t = 1; t < k; t++) bar = c[t] < bar ? c[t] : bar;
    return bar;
}

/* returns 0, or -1 when out of memory */
static int best_loop(const float *gamma, Py_ssize_t batch, Py_ssize_t length, Py_ssize_t k,
                     int64_t *out) {
    const Py_ssize_t room = 4 * k > 64 ? 4 * k : 64;
    /* two halves of the row gathered side by side (two chains of dependent writes instead
       of one): the first into c[0..), the second into d[0..room]; + 1 each for the last
       write, and room for d to join c */
    uint64_t *c = malloc(sizeof(uint64_t) * (size_t)(3 * room + 2));
    if (c == NULL) return -1;
    uint64_t *d = c + 2 * room + 1;
    for (Py_ssize_t b = 0; b < batch && k > 0; b++) {
        const float *row = gamma + b * length;
        const Py_ssize_t half = length / 2;
        Py_ssize_t held_c = 0, held_d = 0;
        /* a zero's key is at most UINT32_MAX: only positive values enter, until the first
           selection raises the bar. Branch-free: each key is written and kept only if it
           passes (about half the similarities are 0, in no order a branch could predict) */
        uint64_t bar = UINT32_MAX;
        for (Py_ssize_t j = 0; j < half; j++) {
            const uint64_t key_c = rank_key(row[j], j), key_d = rank_key(row[half + j], half + j);
            c[held_c] = key_c;
            held_c += key_c > bar;
            d[held_d] = key_d;
            held_d += key_d > bar;
            if (held_c == room || held_d == room) {
                memcpy(c + held_c, d, sizeof(uint64_t) * (size_t)held_d);
                held_c += held_d;
                held_d = 0;
                bar = keep_highest(c, held_c, k);
                held_c = k;
            }
        }
        if (length % 2) { /* the last one, when the halves are uneven */
            const uint64_t key = rank_key(row[length - 1], length - 1);
            d[held_d] = key;
            held_d += key > bar;
        }
        memcpy(c + held_c, d, sizeof(uint64_t) * (size_t)held_d);
        Py_ssize_t held = held_c + held_d;
        if (held > k) {
            keep_highest(c, held, k);
            held = k;
        }
        sort_highest_first(c, held);
        for (Py_ssize_t j = 0; j < held; j++)
            out[b * k + j] = (int64_t)(UINT32_MAX - (uint32_t)(c[j] & UINT32_MAX));
        /* fewer than k positive values: the zeros follow, lowest positions first (every
           value not taken is 0, as none is negative) */
        Py_ssize_t filled = held;
        for (Py_ssize_t j = 0; j < length && filled < k; j++)
            if (!(row[j] > 0.0f)) out[b * k + filled++] = j;
    }
    free(c);
    return 0;
}

static PyObject *best(PyObject *self, PyObject *args) {
    PyObject *objects[2]; /* gamma out */
    Py_buffer views[2];
    Py_ssize_t batch, length, k;
    (void)self;
    if (!PyArg_ParseTuple(args, "OnnnO", &objects[0], &batch, &length, &k, &objects[1]))
        return NULL;
    if (batch < 0 || length < 0 || length > INT32_MAX || k < 0 || k > length) {
        PyErr_SetString(PyExc_ValueError,
                        "batch, length (< 2^31) and k must not be negative, k <= length");
        return NULL;
    }
    int held = 0;
    if (get_buffer(objects[0], &views[0], 'f', 0, batch, length, "gamma")) held++;
    if (held == 1 && get_buffer(objects[1], &views[1], 'q', 1, batch, k, "out")) held++;
    PyObject *result = NULL;
    if (held == 2) {
        int status;
        Py_BEGIN_ALLOW_THREADS
        status = best_loop(views[0].buf, batch, length, k, views[1].buf);
        Py_END_ALLOW_THREADS
        result = status != 0 ? PyErr_NoMemory() : Py_NewRef(Py_None);
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
        /* read once: another thread could write to the array while the GIL is released */
        const int64_t np_b = n_p[b];
        if (np_b <= 0 || m <= 0) continue;
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
        /* the take pairs of highest efficiency, in order (ties to the lower index, as a
           stable sort of all m would give): insertion into a short sorted list, take being
           nP (at most tens) */
        const int take = np_b < m ? (int)np_b : m;
        int kept = 0;
        for (int i = 0; i < m; i++) {
            const ranked_pair x = {lam[i] / lam0[at + i], i};
            if (kept == take && by_efficiency(&x, &ranked[kept - 1]) >= 0) continue;
            int t = kept < take ? kept++ : take - 1;
            while (t > 0 && by_efficiency(&x, &ranked[t - 1]) < 0) {
                ranked[t] = ranked[t - 1];
                t--;
            }
            ranked[t] = x;
        }
        double total = 0.0;
        for (int t = 0; t < take; t++) total += lam[ranked[t].index];
        out[b] = total / (double)np_b;
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
            /* at most `on` (the array could change under us, the GIL being released) */
            if (da >= 180 || listed == on) continue;
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
    {"similarity_bits", similarity_bits, METH_VARARGS,
     "MCC local similarities of bit cylinders, by popcount (see the module source)."},
    {"best", best, METH_VARARGS,
     "Positions of each row's k highest values, best first, ties to the lower position."},
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
   (2: agreement takes at_least; 3: similarity_bits replaces the float similarity) */
#define KERNEL_ABI 3

PyMODINIT_FUNC PyInit__simkernel(void) {
    PyObject *m = PyModule_Create(&module);
    if (m != NULL && PyModule_AddIntConstant(m, "ABI", KERNEL_ABI) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
