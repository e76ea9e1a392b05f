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
ROLLUP_FOLD_S = 1.0  # the central server counts newly pushed events into the rollups this often
PUBLISH_CHUNK = 1000  # rows per INSERT when publishing many changes

# ---------------------------------------------------------------- server
SERVER_KEEP_ALIVE_S = 30  # idle keep-alive connections are closed after this

# ---------------------------------------------------------------- server hardening
# Request bodies: the push limits above; registration and status reports are small;
# an admin publish may carry thousands of watchlist bundles with templates.
REGISTER_MAX_BODY_BYTES = 16 * 1024
STATUS_MAX_BODY_BYTES = 64 * 1024
ADMIN_MAX_BODY_BYTES = 32 * 1024 * 1024  # POST /admin/v1/feed
DEFAULT_MAX_BODY_BYTES = 1024 * 1024  # every other route
PUSH_MAX_ITEMS = 1000  # items in one push batch (the kiosk sends PUSH_BATCH_ITEMS)
PUSH_MAX_PAYLOAD_CHARS = 16 * 1024 * 1024  # one item's canonical JSON
# Per client address, per server process (token bucket; see docs/security.md for what
# "per process" means behind a load balancer). Sized for an office of ~50 kiosks
# behind one NAT address catching up at full speed; floods belong to the edge proxy.
RATE_IP_PER_S = 100.0
RATE_IP_BURST = 400
RATE_IP_MAX_TRACKED = 100_000  # addresses tracked per process (least recently seen go)
# Per kiosk, across every instance: signed requests accepted in the last minute,
# counted from the nonce table (kept NONCE_RETENTION_S >= 60 s). A catch-up of
# 100,000 changes at FEED_PAGE_SIZE is ~100 requests.
RATE_KIOSK_PER_MIN = 600
RATE_WINDOW_S = 60
RATE_RETRY_AFTER_S = 5  # Retry-After of a 429 answer to a kiosk
# API tokens: last_used_at is written at most this often per token.
TOKEN_TOUCH_S = 60
# HSTS on answers over https: two years, the preload-list minimum is one.
HSTS_MAX_AGE_S = 63_072_000
# TLS served by uvicorn: TLS 1.2+ AEAD suites only (Mozilla "intermediate" without
# DHE); TLS 1.3 suites are always on. No CBC, no RSA key exchange, no TLS 1.0/1.1.
TLS_CIPHERS = (
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"
)

# ---------------------------------------------------------------- audit chain heads
AUDIT_HEADS_PAGE = 1000  # heads per answer of GET /v1/audit/heads

# ---------------------------------------------------------------- client
HTTP_TIMEOUT_S = 30.0
HTTP_CONNECT_TIMEOUT_S = 10.0

# ---------------------------------------------------------------- offline policy
# A kiosk clock this far behind its last sync (or last complete feed) is not trusted
# to measure time offline: the kiosk degrades to officer-only until it syncs again.
CLOCK_BEHIND_TOLERANCE_S = 3600.0

# ---------------------------------------------------------------- sync loop
RETRY_BASE_S = 5.0  # first retry after a failure
RETRY_CAP_S = 900.0  # longest wait between retries
JITTER_FRACTION = 0.2  # +-20 % on the regular interval

# ---------------------------------------------------------------- registration
REGISTRATION_CODE_TTL_H = 24.0
REGISTRATION_CODE_GROUPS = 4  # groups of 4 base32 characters: 80 bits
