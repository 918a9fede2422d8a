"""Show where each package comes from in a layered stack, and use them together."""

import sys

import httpx
import numpy
import scipy
import tabulate
from layer_paths import layer_of  # support module
from scipy import stats

rows = [
    (module.__name__, getattr(module, "__version__", "?"), layer_of(module))
    for module in (tabulate, httpx, scipy, numpy)
]
print(f"Python {sys.version.split()[0]}; this app's layer: {layer_of(sys.modules[__name__])}")
print(tabulate.tabulate(rows, headers=["package", "version", "layer"]))

url = httpx.URL("https://example.org/data?n=3")  # parsed only: no network
quantile = stats.norm.ppf(0.975)
print(f"host of {url} is {url.host}; 97.5% normal quantile = {quantile:.4f}")
