"""The traveller's self-verification: decision engine and flow (Qt-free)."""
