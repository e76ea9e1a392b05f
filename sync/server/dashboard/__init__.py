"""The central web dashboard (issue #12): rollup queries, users, pages. See docs/dashboard.md."""
