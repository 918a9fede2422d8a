"""A small report app: shows which layer each of its imports comes from."""
