"""faiss, typed as ``Any``.

faiss ships partial SWIG-generated type stubs that miss most of what we use
(SearchParameters keyword arguments, DirectMap, HNSW attributes), so the index
modules use it untyped through this one name.
"""

from __future__ import annotations

from typing import Any

import faiss as _faiss_module

faiss: Any = _faiss_module
