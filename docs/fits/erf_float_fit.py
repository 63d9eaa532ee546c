"""Fit the single-precision erf approximation used by SpecialFunctions.Erf(float).

erf(x) ~= x * P(x^2) / Q(x^2) on [0, C], with P of degree M and Q of degree N in t = x^2, Q(0) = 1.
The fit minimises the maximum *relative* error of P/Q against g(t) = erf(sqrt t)/sqrt t, so the
odd form x*P/Q keeps relative accuracy near 0 and absolute accuracy near 1.

Method: linearised rational least squares (Sanathanan-Koerner reweighting by 1/Q of the previous
iterate) on Chebyshev nodes in x, with Lawson's iteratively reweighted least squares pushing the
solution towards the minimax (equioscillating) fit. Everything runs in mpmath at 40 digits; the
coefficients are then rounded to float32 and the error re-measured with the rounded values.

Run: python3 docs/fits/erf_float_fit.py [M N C]   (defaults 5 5 3.92, the shipped fit; ~1 minute)
"""
import struct
import sys

import mpmath as mp

mp.mp.dps = 40
M, N, C = (int(sys.argv[1]), int(sys.argv[2]), mp.mpf(sys.argv[3])) if len(sys.argv) > 3 else (5, 5, mp.mpf("3.92"))
K = 600  # nodes


def f32(v):
    return struct.unpack("f", struct.pack("f", float(v)))[0]


def g(t):
    if t == 0:
        return 2 / mp.sqrt(mp.pi)
    x = mp.sqrt(t)
    return mp.erf(x) / x


def horner(cs, t):
    r = mp.mpf(0)
    for c in reversed(cs):
        r = r * t + c
    return r


# Chebyshev nodes on [0, C] in x (dense near both ends), plus the endpoints.
xs = [C / 2 * (1 - mp.cos(mp.pi * (k + mp.mpf(1) / 2) / K)) for k in range(K)] + [mp.mpf(0), C]
ts = [x * x for x in xs]
gs = [g(t) for t in ts]


def rel_errors(p, q):
    return [horner(p, t) / (horner(q, t) * gt) - 1 for t, gt in zip(ts, gs)]


def fit(fixed, iters=40):
    """Lawson + SK fit of the unknowns not in `fixed` (index -> value; 0..M are P, M+k is Q's t^k)."""
    free = [j for j in range(M + N + 1) if j not in fixed]
    q = [mp.mpf(1)] + [fixed.get(M + k, mp.mpf(0)) for k in range(1, N + 1)]
    w = [mp.mpf(1)] * len(ts)
    best = None
    for it in range(iters):
        rows, rhs = [], []
        for t, gt, wi in zip(ts, gs, w):
            s = mp.sqrt(wi) / horner(q, t)
            full = [s * t**j / gt for j in range(M + 1)] + [-s * t**k for k in range(1, N + 1)]
            rows.append([full[j] for j in free])
            rhs.append(s - sum(full[j] * v for j, v in fixed.items()))
        sol, _ = mp.qr_solve(mp.matrix(rows), mp.matrix(rhs))
        coef = dict(fixed)
        coef.update({j: sol[i] for i, j in enumerate(free)})
        p = [coef[j] for j in range(M + 1)]
        q = [mp.mpf(1)] + [coef[M + k] for k in range(1, N + 1)]
        e = rel_errors(p, q)
        emax = max(abs(v) for v in e)
        if best is None or emax < best[0]:
            best = (emax, p, q)
        # Lawson: weight each node by its current error, renormalised.
        w = [wi * abs(v) for wi, v in zip(w, e)]
        tot = sum(w)
        w = [wi / tot for wi in w]
    return best


# Round to float32 one coefficient at a time, from the lowest order up (p0 first: it alone sets the
# error near 0), refitting the still-free coefficients after each rounding so they absorb it.
fixed = {}
emax, p, q = fit(fixed, 60)
exact_err = emax
print("exact P:", ", ".join(mp.nstr(c, 17) for c in p))
print("exact Q:", ", ".join(mp.nstr(c, 17) for c in q))
for j in [0] + [i for k in range(1, max(M, N) + 1) for i in ([k] if k <= M else []) + ([M + k] if k <= N else [])]:
    fixed[j] = mp.mpf(f32((p + q[1:])[j]))
    if len(fixed) < M + N + 1:
        emax, p, q = fit(fixed, 25)
    else:
        p = [fixed[i] for i in range(M + 1)]
        q = [mp.mpf(1)] + [fixed[M + k] for k in range(1, N + 1)]
best = (exact_err, p, q)
emax, p, q = best
pf = [f32(c) for c in p]
qf = [f32(c) for c in q]
e32 = max(abs(v) for v in rel_errors([mp.mpf(c) for c in pf], [mp.mpf(c) for c in qf]))
# A finer check between the nodes with the rounded coefficients.
fine = max(abs(horner(pf, x * x) / horner(qf, x * x) * x / mp.erf(x) - 1)
           for x in [C * k / 4000 for k in range(1, 4001)])
print(f"M={M} N={N} C={C}: max rel error {mp.nstr(emax, 4)} (exact coeffs), "
      f"{mp.nstr(e32, 4)} at nodes / {mp.nstr(fine, 4)} fine grid (float32 coeffs)")
print("P:", ", ".join(repr(c) + "f" for c in pf))
print("Q:", ", ".join(repr(c) + "f" for c in qf))
