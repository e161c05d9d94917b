from nkfmt import nkprint
import sys
name, mode, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
def greeting(kind):
    return "Good day" if kind == "formal" else "Hi"
def size_word(n):
    return "large" if n > 2 else "small"
nkprint(greeting(mode), name)
nkprint(name == "nk", name != "nk", mode == "formal", "formal" == mode, name == mode)
label = "none"
if n > 0:
    label = name
nkprint(label, size_word(n), size_word(1), (name, n, "it's"))
nkprint(greeting("formal"), greeting("x"))
