"""Serve sample data on 127.0.0.1, fetch it with httpx, summarise it with scipy."""

import tabulate  # installed in this application layer itself
from loopback import serve_json  # support module
from samples import measurements  # support module

from fetch_stats.client import fetch_json
from fetch_stats.summary import summarise

with serve_json({"/measurements": measurements(20)}) as base_url:
    document = fetch_json(f"{base_url}/measurements")

assert isinstance(document, dict)
print(f"fetched {len(document['y'])} measurements from a loopback server (127.0.0.1)")
print(tabulate.tabulate(summarise(document["x"], document["y"]), tablefmt="plain"))
