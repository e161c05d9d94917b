from nkfmt import nkprint
nkprint(1.5, 0.25, 1e-3, 2.5E+10, 1_000.5)
nkprint(1e3, 3E2, 1.0e0, 6.02e23, 1e-300)
nkprint(0.1, 100.0, 0.5e-1)
