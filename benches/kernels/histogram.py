# numba-examples' histogram (density_estimation/histogram): uniform bin edges from the
# data's min and max, then one compute_bin call per value and `hist[bin] += 1` into an
# integer counts array (a list on CPython, an int64 array under Numba). The same LCG data
# and the same operations as histogram.nk; compute_bin returns -1 where the original
# returns None.
from twin import full, jit, run, zeros

BINS = 1000


@jit
def get_bin_edges(a, bins):
    bin_edges = zeros(bins + 1)
    a_min = a[0]
    a_max = a[0]
    for x in a:
        if x < a_min:
            a_min = x
        if x > a_max:
            a_max = x
    delta = (a_max - a_min) / bins
    for i in range(len(bin_edges)):
        bin_edges[i] = a_min + i * delta
    bin_edges[-1] = a_max  # avoid roundoff error on the last point
    return bin_edges


@jit
def compute_bin(x, bin_edges):
    # Uniform bins.
    n = len(bin_edges) - 1
    a_min = bin_edges[0]
    a_max = bin_edges[-1]
    # NumPy puts a_max in the last bin.
    if x == a_max:
        return n - 1
    bin = int(n * (x - a_min) / (a_max - a_min))
    if bin < 0 or bin >= n:
        return -1
    return bin


@jit
def histogram(a, bins):
    hist = full(bins, 0)
    bin_edges = get_bin_edges(a, bins)
    for x in a:
        bin = compute_bin(x, bin_edges)
        if bin >= 0:
            hist[bin] += 1
    return hist


@jit
def kernel(n):
    a = zeros(n)
    s = 12345
    for i in range(n):
        s = (1103515245 * s + 12345) % 2147483648
        u = s / 2147483648.0
        s = (1103515245 * s + 12345) % 2147483648
        a[i] = u + s / 2147483648.0
    hist = histogram(a, BINS)
    total = 0
    weighted = 0
    peak = 0
    for i in range(BINS):
        total += hist[i]
        weighted += i * hist[i]
        if hist[i] > peak:
            peak = hist[i]
    return total, weighted, peak, hist[BINS // 2]


run(kernel)
