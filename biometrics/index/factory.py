"""FAISS index construction: factory strings, the choice by size, training, search parameters.

Supported factory strings (the persisted form; :func:`describe` rebuilds it
from a loaded index, which is how a file is checked against its metadata)::

    IDMap2,Flat                         exact; ids = row ids; removes in place
    IVF<n>,<sq>                         inverted file; ids = row ids; removes in place
                                        <sq>: SQ8, SQ6, SQ4, SQfp16 or Flat
    IVF<n>,PQ<m>x4fs,Refine(<sq>)       fast-scan PQ shortlist re-ranked on <sq> vectors
    HNSW<M>,<sq>                        graph over <sq> vectors

The last two cannot remove vectors.  They are "positional": vector number i
of the FAISS index is the i-th smallest row id of the main index, kept as a
sorted int64 array beside it (8 bytes a row, the role IDMap2 plays for the
others without its hash map).  Removals become tombstones filtered inside the
search until a rebuild.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np

from biometrics.index import params
from biometrics.index._faiss import faiss
from biometrics.index.errors import IndexDataError, IndexMismatchError
from biometrics.index.records import FloatArray, IdArray, Metric, ProgressCallback

_SQ = r"SQ8|SQ6|SQ4|SQfp16|Flat"
_FACTORY = re.compile(
    rf"^(?:IDMap2,(?P<flat>Flat)"
    rf"|IVF(?P<nlist>[1-9][0-9]*),(?:(?P<ivf_enc>{_SQ})"
    rf"|PQ(?P<pq_m>[1-9][0-9]*)x4fs,Refine\((?P<refine_enc>{_SQ})\))"
    rf"|HNSW(?P<hnsw_m>[1-9][0-9]*)(?:,(?P<hnsw_enc>{_SQ}))?)$"
)
_SQ_TYPES = {"SQ8": "QT_8bit", "SQ6": "QT_6bit", "SQ4": "QT_4bit", "SQfp16": "QT_fp16"}
ADD_CHUNK_ROWS = 50_000


class Family(StrEnum):
    FLAT = "flat"
    IVF = "ivf"
    IVF_PQ_REFINE = "ivf-pq-refine"
    HNSW = "hnsw"


@dataclass(frozen=True, slots=True)
class FactorySpec:
    """A parsed, supported factory string in canonical form."""

    text: str
    family: Family
    nlist: int = 0
    hnsw_m: int = 0
    pq_m: int = 0
    encoding: str = "Flat"  # of the vectors that give the final scores

    @property
    def positional(self) -> bool:
        """FAISS holds vectors by position (sorted row ids beside it); cannot remove."""
        return self.family in (Family.HNSW, Family.IVF_PQ_REFINE)

    @property
    def can_remove(self) -> bool:
        return not self.positional

    @property
    def needs_training(self) -> bool:
        return self.family is not Family.FLAT and (
            self.family is not Family.HNSW or self.encoding != "Flat"
        )

    @property
    def exact(self) -> bool:
        return self.family is Family.FLAT

    @property
    def min_training_rows(self) -> int:
        if self.family in (Family.IVF, Family.IVF_PQ_REFINE):
            return max(self.nlist * 4, 256)
        return 1 if self.needs_training else 0


def parse(factory: str) -> FactorySpec:
    match = _FACTORY.match(factory)
    if match is None:
        raise IndexDataError(
            f"unsupported index factory {factory!r} (IDMap2,Flat; IVF<n>,SQ8|SQ6|SQ4|SQfp16|Flat; "
            "IVF<n>,PQ<m>x4fs,Refine(SQfp16|SQ8|Flat); HNSW<M>[,SQ8|SQfp16|Flat])"
        )
    if match["flat"]:
        return FactorySpec("IDMap2,Flat", Family.FLAT)
    if match["hnsw_m"]:
        encoding = match["hnsw_enc"] or "Flat"
        m = int(match["hnsw_m"])
        return FactorySpec(f"HNSW{m},{encoding}", Family.HNSW, hnsw_m=m, encoding=encoding)
    nlist = int(match["nlist"])
    if match["pq_m"]:
        pq_m, encoding = int(match["pq_m"]), match["refine_enc"]
        return FactorySpec(
            f"IVF{nlist},PQ{pq_m}x4fs,Refine({encoding})",
            Family.IVF_PQ_REFINE,
            nlist=nlist,
            pq_m=pq_m,
            encoding=encoding,
        )
    return FactorySpec(
        f"IVF{nlist},{match['ivf_enc']}", Family.IVF, nlist=nlist, encoding=match["ivf_enc"]
    )


def choose(size: int, dim: int) -> str:
    """The factory for a gallery of ``size`` vectors of ``dim`` values (docs/index.md)."""
    if size <= params.EXACT_MAX_SIZE:
        return "IDMap2,Flat"
    return large(size, dim)


def large(size: int, dim: int) -> str:
    """The approximate factory, sized for ``size`` vectors."""
    target = params.IVF_CENTROIDS_PER_SQRT_N * math.sqrt(max(size, 1))
    nlist = 2 ** round(math.log2(target))
    nlist = min(max(nlist, params.IVF_MIN_LISTS), params.IVF_MAX_LISTS)
    pq_m = max(dim // params.PQ_DIMS_PER_SUBQUANTIZER, 1)
    while pq_m > 1 and dim % pq_m:
        pq_m -= 1
    return f"IVF{nlist},PQ{pq_m}x4fs,Refine({params.REFINE_ENCODING})"


def fit(text: str, size: int) -> str:
    """``text`` in canonical form, or exact when the gallery is too small to train it."""
    spec = parse(text)
    if size < spec.min_training_rows:
        return "IDMap2,Flat"
    return spec.text


def faiss_metric(metric: Metric) -> int:
    return int(faiss.METRIC_L2 if metric is Metric.L2 else faiss.METRIC_INNER_PRODUCT)


def new_index(text: str, dim: int, metric: Metric) -> Any:
    spec = parse(text)
    index = faiss.index_factory(dim, spec.text, faiss_metric(metric))
    if spec.family is Family.IVF:
        ivf = faiss.extract_index_ivf(index)
        # A hash table from id to list position: reconstruct by id (filters,
        # verification) and removal with IDSelectorArray.
        ivf.set_direct_map_type(faiss.DirectMap.Hashtable)
    if spec.family in (Family.IVF, Family.IVF_PQ_REFINE):
        ivf = faiss.extract_index_ivf(index)
        ivf.cp.niter = params.IVF_TRAIN_ITERATIONS
        ivf.cp.max_points_per_centroid = params.IVF_TRAIN_POINTS_PER_LIST
        ivf.nprobe = default_nprobe(spec.nlist)
    if spec.family is Family.IVF_PQ_REFINE:
        index.k_factor = params.REFINE_K_FACTOR
    if spec.family is Family.HNSW:
        index.hnsw.efConstruction = params.HNSW_EF_CONSTRUCTION
        index.hnsw.efSearch = params.HNSW_EF_SEARCH
    return index


def default_nprobe(nlist: int) -> int:
    return min(nlist, max(params.IVF_MIN_NPROBE, round(nlist * params.IVF_NPROBE_FRACTION)))


def build(
    text: str,
    dim: int,
    metric: Metric,
    ids: IdArray,
    vectors: FloatArray,
    *,
    progress: ProgressCallback,
    seed: int = 1234,
) -> Any:
    """A trained index holding ``vectors``: under ``ids``, or by position when positional
    (then ``ids`` must be sorted and ``vectors`` in the same order)."""
    spec = parse(text)
    if vectors.shape != (ids.size, dim):
        raise IndexDataError(f"vectors shape {vectors.shape} does not match {ids.size} x {dim}")
    if ids.size < spec.min_training_rows:
        raise IndexDataError(
            f"{spec.text} needs at least {spec.min_training_rows} vectors to train"
        )
    index = new_index(spec.text, dim, metric)
    if spec.needs_training:
        progress("train", 0, 1)
        index.train(_training_sample(spec, vectors, seed))
        progress("train", 1, 1)
    add(index, spec, ids, vectors, progress)
    return index


def _training_sample(spec: FactorySpec, vectors: FloatArray, seed: int) -> FloatArray:
    wanted = params.TRAIN_MAX_ROWS
    if spec.nlist:
        wanted = min(wanted, max(spec.nlist * params.IVF_TRAIN_POINTS_PER_LIST, 65_536))
    if vectors.shape[0] <= wanted:
        return np.ascontiguousarray(vectors)
    pick = np.sort(np.random.default_rng(seed).choice(vectors.shape[0], wanted, replace=False))
    return np.ascontiguousarray(vectors[pick])


def add(
    index: Any, spec: FactorySpec, ids: IdArray, vectors: FloatArray, progress: ProgressCallback
) -> None:
    total = ids.size
    for start in range(0, total, ADD_CHUNK_ROWS):
        stop = min(start + ADD_CHUNK_ROWS, total)
        chunk = np.ascontiguousarray(vectors[start:stop])
        if spec.positional:
            index.add(chunk)
        else:
            index.add_with_ids(chunk, np.ascontiguousarray(ids[start:stop]))
        progress("add", stop, total)


def describe(index: Any) -> str:
    """The canonical factory string of a loaded index (for the supported families)."""
    index = faiss.downcast_index(index)
    if isinstance(index, faiss.IndexIDMap2):
        inner = faiss.downcast_index(index.index)
        if isinstance(inner, faiss.IndexFlat):
            return "IDMap2,Flat"
    elif isinstance(index, faiss.IndexHNSW):
        m = int(index.hnsw.nb_neighbors(1))
        return f"HNSW{m},{_encoding(faiss.downcast_index(index.storage))}"
    elif isinstance(index, faiss.IndexRefine):
        base = faiss.downcast_index(index.base_index)
        refine = faiss.downcast_index(index.refine_index)
        if isinstance(base, faiss.IndexIVFPQFastScan) and int(base.pq.nbits) == 4:
            return f"IVF{base.nlist},PQ{base.pq.M}x4fs,Refine({_encoding(refine)})"
    elif isinstance(index, faiss.IndexIVFScalarQuantizer | faiss.IndexIVFFlat):
        return f"IVF{index.nlist},{_encoding(index)}"
    raise IndexMismatchError(f"unsupported index type {type(index).__name__}", field="factory")


def _encoding(index: Any) -> str:
    if isinstance(index, faiss.IndexFlat | faiss.IndexIVFFlat):
        return "Flat"
    qtype = int(index.sq.qtype)
    for name, attr in _SQ_TYPES.items():
        if qtype == int(getattr(faiss.ScalarQuantizer, attr)):
            return name
    raise IndexMismatchError(f"unsupported scalar quantiser type {qtype}", field="factory")


def search_parameters(
    index: Any, spec: FactorySpec, *, k: int, selector: Any | None, budget: float = 1.0
) -> Any:
    """SearchParameters for one search: the id selector and the probe budget."""
    if spec.family in (Family.IVF, Family.IVF_PQ_REFINE):
        ivf = faiss.extract_index_ivf(index)
        nprobe = min(int(ivf.nlist), max(1, math.ceil(int(ivf.nprobe) * budget)))
        ivf_params = faiss.SearchParametersIVF(sel=selector, nprobe=nprobe)
        if spec.family is Family.IVF:
            return ivf_params
        return faiss.IndexRefineSearchParameters(
            k_factor=float(index.k_factor), base_index_params=ivf_params
        )
    if spec.family is Family.HNSW:
        ef = max(k, math.ceil(int(index.hnsw.efSearch) * budget))
        return faiss.SearchParametersHNSW(sel=selector, efSearch=ef)
    return faiss.SearchParameters(sel=selector)


def set_probe(index: Any, spec: FactorySpec, value: int) -> None:
    """Set nprobe (IVF) or efSearch (HNSW); used by the benchmark's sweeps."""
    if spec.family in (Family.IVF, Family.IVF_PQ_REFINE):
        faiss.extract_index_ivf(index).nprobe = value
    elif spec.family is Family.HNSW:
        index.hnsw.efSearch = value


def get_probe(index: Any, spec: FactorySpec) -> int:
    if spec.family in (Family.IVF, Family.IVF_PQ_REFINE):
        return int(faiss.extract_index_ivf(index).nprobe)
    if spec.family is Family.HNSW:
        return int(index.hnsw.efSearch)
    return 0


def reconstruct(index: Any, keys: IdArray, dim: int) -> FloatArray:
    """Stored (decoded) vectors by FAISS key (row id, or position when positional)."""
    if keys.size == 0:
        return np.empty((0, dim), np.float32)
    out: FloatArray = index.reconstruct_batch(np.ascontiguousarray(keys, dtype=np.int64))
    return out


def remove(index: Any, spec: FactorySpec, ids: IdArray) -> None:
    if ids.size == 0:
        return
    if not spec.can_remove:
        raise IndexDataError(f"{spec.text} cannot remove vectors")
    index.remove_ids(faiss.IDSelectorArray(np.ascontiguousarray(ids, dtype=np.int64)))


def clone(index: Any) -> Any:
    return faiss.clone_index(index)


def serialize(index: Any) -> memoryview:
    data = faiss.serialize_index(index)
    return np.ascontiguousarray(data, dtype=np.uint8).data


def deserialize(data: memoryview) -> Any:
    try:
        return faiss.deserialize_index(np.frombuffer(data, dtype=np.uint8))
    except RuntimeError as exc:
        raise IndexMismatchError(
            f"index payload does not deserialize: {exc}", field="index"
        ) from exc


def set_threads(n: int) -> None:
    faiss.omp_set_num_threads(n)


def max_threads() -> int:
    return int(faiss.omp_get_max_threads())
