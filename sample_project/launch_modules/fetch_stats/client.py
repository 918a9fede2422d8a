"""The HTTP side: fetch a JSON document with httpx."""

from __future__ import annotations

import httpx


def fetch_json(url: str) -> object:
    """GET a JSON document; proxies from the environment are ignored (loopback only)."""
    with httpx.Client(trust_env=False, timeout=10.0) as client:
        response = client.get(url, headers={"Accept": "application/json"})
        response.raise_for_status()
        return response.json()
