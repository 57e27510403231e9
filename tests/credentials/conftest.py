"""Fixtures for the credentials core: no network, and a small issuer."""
from __future__ import annotations

import socket

import pytest
from vc_helpers import Issuer


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Nothing in the credentials core may open a connection, not even to fetch a context."""

    def refuse(*args, **kwargs):
        raise AssertionError(f"the credentials core tried to open a network connection: {args}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.fixture
def issuer() -> Issuer:
    return Issuer()


@pytest.fixture(scope="session")
def signed_certificate() -> tuple[Issuer, dict]:
    """One issued certificate, shared by the (read-only) parametrised tamper tests."""
    office = Issuer()
    return office, office.issue()


