import re
import sys

import numpy as np

from nkfmt import nkfmt, nkprint

# NumPy's own summarization (array2string with the default threshold=1000, edgeitems=3),
# each element in nk's format, joined into nk's one-line nested lists.
assert np.get_printoptions()["threshold"] == 1000 and np.get_printoptions()["edgeitems"] == 3


def summ(a):
    s = np.array2string(a, separator=", ", max_line_width=sys.maxsize,
                        formatter={"all": lambda x: nkfmt(x.item())})
    return re.sub(r"\s*\n\s*", " ", s)


print(summ(np.arange(1000)))
print(summ(np.arange(1001)))
print(summ(np.arange(2000)))
print(summ(np.arange(0.0, 1500.0) * 0.5))
print(summ(np.arange(2000) % 3 == 0))
m = np.arange(2000).reshape(40, 50)
print(summ(m))
print(summ(np.arange(1200).reshape(6, 200)))
print(summ(np.arange(1001).reshape(1001, 1)))
print(summ(np.arange(1400).reshape(7, 2, 100)))
print(summ(np.arange(0.0, 2400.0).reshape(10, 12, 20)))
print(summ(m.T))
print(summ(m[0:20, :]))
print(summ(m[0:21, :]))
print(summ(m[:, 10]))
r = np.zeros(1001)
r[1000] = -0.0
r[0] = 1e-05
print(summ(r), 1001)
# The small arrays of the other tests print as nkfmt prints them.
assert summ(np.arange(12).reshape(3, 4)) == nkfmt(np.arange(12).reshape(3, 4))
