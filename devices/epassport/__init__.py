"""ICAO Doc 9303 ePassport protocols and parsers.

Layers (DESIGN.md §4): card channel → access protocol (BAC, PACE) → secure
messaging (itself a card channel) → file reading → pure parsers → checks.
Parsers are pure functions on bytes; verification always takes an explicit time.
"""
