"""The unit tier needs no service and no network (issue 6): any TCP/UDP connection from a unit test fails it.

Tests that need PostgreSQL, Mosquitto or a browser live under tests/integration/ and say so by marker.
"""

from __future__ import annotations

import socket

import pytest


class NetworkInUnitTest(AssertionError):
    pass


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: object) -> None:
        if self.family in (socket.AF_INET, socket.AF_INET6):
            raise NetworkInUnitTest(f"a unit test opened a network connection to {address!r}: move it to "
                                    "tests/integration/ with the marker of the service it needs")
        real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)

