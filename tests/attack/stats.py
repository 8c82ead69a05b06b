"""Test helper: the statistics of the attack suite (SPEC §3). Pure Python, exact where it can be.

Every linkage the attacker tries yields either a guessed bijection between n units and n labels (the k-th unit in
some stored order is guessed to be the k-th ballot submitted, or to belong with the k-th receipt) or a pair of
orderings over the same ballots. Under the fair null — storage says nothing, so the truth is a uniformly random
permutation relative to the guess — the number of correct matches of a bijection follows the rencontres
distribution (≈ Poisson(1), whatever n), and Kendall's tau between two orderings is centred on 0 with the
tie-corrected variance below. The suite fails a linkage whose one-sided p-value is below ALPHA / m, m being the
number of linkages tried in that test (Bonferroni): a storage that leaks nothing fails a run less than 1 time in
1,000, and any real leak of the size the old storage had (30/30) is far beyond it.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Sequence
from fractions import Fraction
from functools import cache

ALPHA = 0.001


@cache
def _derangements(n: int) -> int:
    if n < 2:
        return 1 - n
    return (n - 1) * (_derangements(n - 1) + _derangements(n - 2))


def fixed_points_p(n: int, observed: int) -> float:
    """P(a uniformly random permutation of n has ≥ observed fixed points): exact rencontres tail."""
    if observed <= 0:
        return 1.0
    total = math.factorial(n)
    tail = sum(math.comb(n, j) * _derangements(n - j) for j in range(observed, n + 1))
    return float(Fraction(tail, total))


def binomial_tail(trials: Sequence[float], observed: int) -> float:
    """P(sum of independent Bernoulli(p_i) ≥ observed), exact by convolution (a Poisson-binomial)."""
    dist = [1.0]
    for p in trials:
        nxt = [0.0] * (len(dist) + 1)
        for k, q in enumerate(dist):
            nxt[k] += q * (1 - p)
            nxt[k + 1] += q * p
        dist = nxt
    return float(min(1.0, sum(dist[observed:]))) if observed > 0 else 1.0


def kendall(xs: Sequence[float], ys: Sequence[float]) -> tuple[float, float, float]:
    """(S, var(S) under independence with ties, tau-b) for paired observations."""
    n = len(xs)
    s = 0
    for i in range(n):
        for j in range(i + 1, n):
            dx = (xs[i] > xs[j]) - (xs[i] < xs[j])
            dy = (ys[i] > ys[j]) - (ys[i] < ys[j])
            s += dx * dy
    if n < 3:
        return float(s), 0.0, 0.0
    tx = [t for t in Counter(xs).values() if t > 1]
    ty = [t for t in Counter(ys).values() if t > 1]
    v0 = n * (n - 1) * (2 * n + 5)
    vt = sum(t * (t - 1) * (2 * t + 5) for t in tx)
    vu = sum(u * (u - 1) * (2 * u + 5) for u in ty)
    v1 = sum(t * (t - 1) for t in tx) * sum(u * (u - 1) for u in ty)
    v2 = sum(t * (t - 1) * (t - 2) for t in tx) * sum(u * (u - 1) * (u - 2) for u in ty)
    var = (v0 - vt - vu) / 18 + v1 / (2 * n * (n - 1)) + v2 / (9 * n * (n - 1) * (n - 2))
    pairs = n * (n - 1) / 2
    ties_x = sum(t * (t - 1) / 2 for t in tx)
    ties_y = sum(u * (u - 1) / 2 for u in ty)
    denom = math.sqrt(max(pairs - ties_x, 0) * max(pairs - ties_y, 0))
    return float(s), var, (s / denom if denom else 0.0)


def kendall_p(s: float, var: float) -> float:
    """Two-sided p of |S| under the normal approximation (with continuity correction): an attacker may read a
    stored order forwards or backwards."""
    if var <= 0:
        return 1.0
    z = max(abs(s) - 1, 0) / math.sqrt(var)
    return math.erfc(z / math.sqrt(2))


def stratified_kendall_p(strata: Sequence[tuple[Sequence[float], Sequence[float]]]) -> tuple[float, float]:
    """Pooled Kendall test over independent strata (e.g. one per department): (p, mean tau-b)."""
    total_s = total_var = 0.0
    taus = []
    for xs, ys in strata:
        s, var, tau = kendall(xs, ys)
        total_s += s
        total_var += var
        taus.append(tau)
    return kendall_p(total_s, total_var), (sum(taus) / len(taus) if taus else 0.0)


def ranks(keys: Sequence[float]) -> list[int]:
    """0-based ranks of keys; ties (rows the order cannot tell apart) are broken at random, a fair guess."""
    rng = random.SystemRandom()
    tiebreak = [rng.random() for _ in keys]
    order = sorted(range(len(keys)), key=lambda i: (keys[i], tiebreak[i]))
    out = [0] * len(keys)
    for r, i in enumerate(order):
        out[i] = r
    return out
