"""``python -m sync.server``: run the server from settings (used by tests and the benchmark)."""

from __future__ import annotations

from sync.server.runner import main

if __name__ == "__main__":
    main()
