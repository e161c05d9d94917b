from nkfmt import nkprint
import numpy as np
nan = float("nan")
xp = np.array([0.0, 1.0, 2.5, 4.0])
fp = np.array([10.0, -2.0, 0.5, 3.0])
x = np.linspace(-1.0, 5.0, 13)
nkprint(np.interp(x, xp, fp))
nkprint(np.interp(xp, xp, fp))
q = np.array([nan, np.inf, -np.inf])
nkprint(np.interp(q, xp, fp))
nkprint(np.interp(np.arange(6), np.arange(0, 10, 2), np.arange(5) * np.arange(5)))
rep = np.array([0.0, 1.0, 1.0, 2.0])
nkprint(np.interp(np.linspace(0.0, 2.0, 9), rep, fp))
nkprint(np.interp(x, np.zeros(1) + 2.0, np.zeros(1) + 7.0), np.interp(q, np.zeros(1), np.zeros(1) - 1.0))
nkprint(np.interp(np.linspace(0.0, 4.0, 6).reshape(2, 3), xp, fp))
nkprint(np.interp(np.zeros(0), xp, fp))
with np.errstate(over="ignore", invalid="ignore"):
    nkprint(np.interp(np.linspace(0.0, 1.0, 5), np.array([0.0, 1.0]), np.array([1e308, -1e308])))
