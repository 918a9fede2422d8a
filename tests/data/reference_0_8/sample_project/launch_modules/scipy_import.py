import scipy  # noqa: F401
