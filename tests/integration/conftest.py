"""Fixtures shared by the integration tests.

The private pcscd + vpcd harness is session-wide and shared by every test that
goes through PC/SC (the device layer's and the ePassport's): libpcsclite binds
its socket once per process, at the first PC/SC call.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from devices.virtual.pcsc_harness import PCSCD, SOCKET_ENV, VPCD_DRIVER, PcscHarness


@pytest.fixture(scope="session")
def pcsc_harness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PcscHarness]:
    if not (Path(PCSCD).is_file() and VPCD_DRIVER.is_file()):  # pragma: no cover
        pytest.fail("pcscd and vsmartcard-vpcd are required (./run setup installs them)")
    harness = PcscHarness(tmp_path_factory.mktemp("pcscd"))
    harness.start()
    previous = os.environ.get(SOCKET_ENV)
    harness.apply_client_env()
    from devices.backends.pcsc import list_readers  # first PC/SC use of the session

    names = list_readers()
    if harness.slot_name(0) not in names:  # pragma: no cover - a diagnosis, not a path
        harness.stop()
        pytest.fail(
            f"the private pcscd is not the one this process talks to ({names}); did a test "
            "use PC/SC before this fixture? libpcsclite binds the socket at its first call"
        )
    yield harness
    harness.stop()
    if previous is None:
        os.environ.pop(SOCKET_ENV, None)
    else:  # pragma: no cover
        os.environ[SOCKET_ENV] = previous


@pytest.fixture
def harness(pcsc_harness: PcscHarness) -> PcscHarness:
    """The session's pcscd, running with its reader when the test starts."""
    if not pcsc_harness.running or not pcsc_harness.with_reader:
        pcsc_harness.restart()
    return pcsc_harness


def settle(harness: PcscHarness, timeout_s: float = 3.0) -> None:
    """Wait until PC/SC clients see the reader empty.

    vpcd only notices a card (a connection) leaving at its next presence poll; a
    new card connecting before that poll would be taken for the old one.
    """
    if not harness.running or not harness.with_reader:
        return
    from devices.backends.pcsc import PcscCardReader

    with PcscCardReader("settle", reader=harness.slot_name(0), allow_virtual_readers=True) as probe:
        assert probe.wait_for_removal(timeout_s), "a virtual card stayed on the reader"
