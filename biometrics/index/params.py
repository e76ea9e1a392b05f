"""Every tuning constant of the biometric index, in one place.

The figures behind each choice are in ``docs/index.md`` (``gerbang bench index``).
"""

from __future__ import annotations

# ------------------------------------------------------------------ index choice by size
# Up to this many vectors the gallery is an exact flat index: at 100k x 128-d a
# query scans 51 MB in ~2 ms on one core, and exact needs no training or tuning.
EXACT_MAX_SIZE = 100_000

# Above it: an inverted file whose lists hold 4-bit fast-scan PQ codes (dim/2
# sub-quantisers: 32 B per 128-d vector) to draw a shortlist of REFINE_K_FACTOR x k
# rows, re-ranked on float16 copies of the vectors (256 B per 128-d vector).
# float16 keeps the ranking of float32 (8-bit SQ alone loses 1.5% of recall@10 on
# face embeddings, whose 10th and 11th neighbours differ by 0.4% in distance).
# nlist ~ sqrt(n), rounded to a power of two.
IVF_CENTROIDS_PER_SQRT_N = 1.0
IVF_MIN_LISTS = 64
IVF_MAX_LISTS = 65_536
PQ_DIMS_PER_SUBQUANTIZER = 2
REFINE_ENCODING = "SQfp16"
REFINE_K_FACTOR = 32.0
# Lists probed per query, as a fraction of nlist, and its floor.  Face embeddings
# are not clustered enough for a small fraction: at 1M (nlist 1024) probing 1/4
# gives recall@10 0.990 against exact, 5/16 gives 0.994 (docs/index.md).
IVF_NPROBE_FRACTION = 5 / 16
IVF_MIN_NPROBE = 16
# k-means training sample: points per centroid, and a cap on any training sample.
IVF_TRAIN_POINTS_PER_LIST = 64
IVF_TRAIN_ITERATIONS = 10
TRAIN_MAX_ROWS = 200_000

# HNSW (graph) indexes are supported through an explicit factory string (for
# example "HNSW32,SQ8").  They cannot remove vectors: removals become
# tombstones filtered at search time until a rebuild.
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 128

# ------------------------------------------------------------------ incremental updates
# Rows added or changed since the main index was built live in an exact "delta"
# searched by brute force.  When it outgrows this, or when tombstones exceed the
# fraction of the main index below, a background compaction builds a new main.
DELTA_MAX_ROWS = 20_000
TOMBSTONE_MAX_FRACTION = 0.10
# A reopened index that disagrees with the store is repaired by applying the
# difference of row ids when it is at most this fraction of the gallery;
# larger differences rebuild from scratch.
REPAIR_MAX_FRACTION = 0.25

# ------------------------------------------------------------------ filtered search
# A filter that leaves at most this many rows is searched exactly on those rows
# (vectors gathered from the index); larger ones search the index with an id
# selector.  Selective filters (a watchlist category among 1M travellers) would
# otherwise lose recall in approximate indexes whose probes mostly hit excluded rows.
FILTER_EXACT_MAX_ROWS = 20_000
# With a selector, the probe budget (nprobe, efSearch) grows as 1/selectivity up to
# this factor, then is capped.
FILTER_MAX_BUDGET_FACTOR = 8.0

# ------------------------------------------------------------------ persistence
# Plaintext is encrypted in chunks (each with its own nonce, numbered and the last
# one flagged in its associated data), so truncation and reordering are detected
# and no single AES-GCM call sees more than this many bytes.
CHUNK_BYTES = 16 * 1024 * 1024
# Rebuild progress is reported at most once per this many rows.
PROGRESS_EVERY_ROWS = 5_000
# Rows read from the store per page during a rebuild.
REBUILD_PAGE_ROWS = 10_000
