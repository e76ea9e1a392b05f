"""Every tuning constant of sync, client and server, in one place."""

from __future__ import annotations

# ---------------------------------------------------------------- request signing
# A signed request is accepted when its timestamp is within this many seconds of the
# server's clock; its nonce is remembered for twice as long (so a replay is refused
# for as long as its timestamp could pass the window check).
MAX_CLOCK_SKEW_S = 300
NONCE_RETENTION_S = 2 * MAX_CLOCK_SKEW_S
# One request in this many also purges expired nonces (no background job needed).
NONCE_PURGE_EVERY = 200

# ---------------------------------------------------------------- push (kiosk -> centre)
PUSH_BATCH_ITEMS = 100  # outbox items per request
PUSH_MAX_BODY_BYTES = 8 * 1024 * 1024  # compressed request body
PUSH_MAX_INFLATED_BYTES = 64 * 1024 * 1024  # after gunzip (zip-bomb guard)
PUSH_GZIP_LEVEL = 6
# An item the server refused (malformed, not this kiosk's) is retried this much later:
# it stays in the outbox, visible to technicians, instead of being dropped.
REJECTED_RETRY_S = 24 * 3600.0

# ---------------------------------------------------------------- feed (centre -> kiosk)
FEED_PAGE_SIZE = 1000
FEED_MAX_PAGE_SIZE = 5000
FEED_GZIP_LEVEL = 5
FEED_GZIP_MIN_BYTES = 1024
PUBLISH_CHUNK = 1000  # rows per INSERT when publishing many changes

# ---------------------------------------------------------------- server
SERVER_KEEP_ALIVE_S = 30  # idle keep-alive connections are closed after this

# ---------------------------------------------------------------- client
HTTP_TIMEOUT_S = 30.0
HTTP_CONNECT_TIMEOUT_S = 10.0

# ---------------------------------------------------------------- sync loop
RETRY_BASE_S = 5.0  # first retry after a failure
RETRY_CAP_S = 900.0  # longest wait between retries
JITTER_FRACTION = 0.2  # +-20 % on the regular interval

# ---------------------------------------------------------------- registration
REGISTRATION_CODE_TTL_H = 24.0
REGISTRATION_CODE_GROUPS = 4  # groups of 4 base32 characters: 80 bits
