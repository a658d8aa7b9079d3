"""Sealing keys: authenticated encryption at rest, with rotation (newest key first)."""

from __future__ import annotations

from cryptography.fernet import Fernet, MultiFernet


def generate_key() -> str:
    return Fernet.generate_key().decode("ascii")


def sealer(keys: str) -> MultiFernet:
    """Keys are comma-separated, newest first: new text is sealed with the first,
    and text sealed with any listed key can still be opened, so rotation never
    locks a report away."""
    parts = [k.strip() for k in keys.split(",") if k.strip()]
    if not parts:
        raise ValueError("no key given; make one with `peerbot keys generate`")
    try:
        return MultiFernet([Fernet(k) for k in parts])
    except ValueError:
        raise ValueError(
            "a key is not valid (each must be 44 characters from `peerbot keys generate`)"
        ) from None
