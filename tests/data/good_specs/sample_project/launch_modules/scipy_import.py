import scipy

print(scipy.__version__)
