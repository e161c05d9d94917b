from nkfmt import nkprint
def is_even(n): return is_odd(n - 1) if n != 0 else True
def is_odd(n): return is_even(n - 1) if n != 0 else False
nkprint(is_even(10), is_odd(10), is_even(7), is_odd(7), is_even(0))
