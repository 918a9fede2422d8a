"""Numerical integration and root finding with the scipy framework layer."""

import math
import sys

import numpy as np
import scipy
from scipy import integrate, optimize

area, error = integrate.quad(np.sin, 0.0, math.pi)
root = optimize.brentq(lambda x: math.cos(x) - x, 0.0, 1.0)

print(f"Python {sys.version.split()[0]}, scipy {scipy.__version__}, numpy {np.__version__}")
print(f"integral of sin(x) over [0, pi] = {area:.6f} (error estimate {error:.1e})")
print(f"cos(x) = x at x = {root:.6f}")
