import sklearn  # noqa: F401
