# The recursive mergesort of Numba's examples (examples/mergesort.py, `mergesort`), as
# mergesort.nk: each level copies its halves out of slices (`arr[:mid].copy()`), sorts them
# recursively and merges them back (a list on CPython, an f64 array under Numba).
from twin import jit, run, zeros


@jit
def mergesort(arr):
    size = len(arr)
    if size > 2:
        mid = size // 2
        first = mergesort(arr[:mid].copy())
        second = mergesort(arr[mid:].copy())
        left = 0
        right = 0
        at = 0
        while left < len(first) and right < len(second):
            if first[left] <= second[right]:
                arr[at] = first[left]
                left += 1
            else:
                arr[at] = second[right]
                right += 1
            at += 1
        while left < len(first):
            arr[at] = first[left]
            left += 1
            at += 1
        while right < len(second):
            arr[at] = second[right]
            right += 1
            at += 1
    elif size == 2:
        a = arr[0]
        b = arr[1]
        if b < a:
            arr[0] = b
            arr[1] = a
    return arr


@jit
def kernel(n):
    a = zeros(n)
    s = 12345
    for i in range(n):
        s = (1103515245 * s + 12345) % 2147483648
        a[i] = s / 2147483648.0
    sorted_a = mergesort(a)
    check = 0.0
    ordered = 0
    for i in range(n):
        check += sorted_a[i] * (i % 7)
        if i > 0 and sorted_a[i - 1] <= sorted_a[i]:
            ordered += 1
    return sorted_a[0], sorted_a[n // 2], sorted_a[n - 1], ordered, check


run(kernel)
