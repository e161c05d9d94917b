from nkfmt import nkprint
import numpy as np
nkprint(np.outer(np.arange(3), np.arange(1, 5)), np.outer(np.linspace(0.0, 1.0, 3), np.arange(2)))
nkprint(np.outer(np.arange(4).reshape(2, 2), np.arange(2)), np.outer(np.zeros(0), np.arange(3)))
m = np.arange(12).reshape(3, 4)
nkprint(np.trace(m), np.trace(m.T), np.trace(np.linspace(0.5, 4.5, 9).reshape(3, 3)))
nkprint(np.trace(m > 4), np.trace(np.zeros(0).reshape(0, 3)))
nkprint(np.eye(3), np.eye(1), np.eye(0))
nkprint(np.zeros_like(m), np.ones_like(np.linspace(0.0, 1.0, 3)), np.empty_like(np.zeros(0)))
nkprint(np.full_like(m, 7), np.full_like(np.zeros((2, 2)), 3), np.full_like(np.arange(3), 2))
t = np.zeros((2, 1, 2))
nkprint(np.ones_like(t), np.full_like(t, -1.5))
