"""Fetch measurements over HTTP (from a loopback server) and summarise them with scipy."""
