"""Negative binomial (gamma-Poisson) quantiles, exact, in numpy alone.

A count with mean ``mu`` and size ``r`` has variance ``mu + mu**2 / r``; ``r = inf`` is
Poisson. Quantiles come from the probability mass summed over a window of +-12 standard
deviations around the mean, the mass at its left edge from log-gamma and the rest by the
ratio ``pmf(k+1)/pmf(k) = (k + r)/(k + 1) * mu/(mu + r)``.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from ..errors import ParameterError

__all__ = ["nb_quantile"]

FloatArray = npt.NDArray[np.float64]
_CHUNK_CELLS = 4_000_000


def _log_pmf_at(k: FloatArray, mu: FloatArray, r: float) -> FloatArray:
    """log P(X = k) for each (k, mu)."""
    lgamma = np.vectorize(math.lgamma, otypes=[np.float64])
    if math.isinf(r):
        return np.asarray(k * np.log(mu) - mu - lgamma(k + 1.0), dtype=np.float64)
    p = mu / (mu + r)
    log_comb = lgamma(k + r) - lgamma(k + 1.0) - math.lgamma(r)
    return np.asarray(log_comb + r * np.log1p(-p) + k * np.log(p), dtype=np.float64)


def nb_quantile(mu: npt.ArrayLike, size: float, q: float) -> FloatArray:
    """The smallest count ``k`` with ``P(X <= k) >= q`` for each mean in ``mu``.

    ``size`` is the negative binomial size (``inf`` for Poisson); ``q`` in (0, 1).
    """
    if not 0.0 < q < 1.0:
        raise ParameterError(f"quantile level must be in (0, 1), got {q}")
    if not size > 0:
        raise ParameterError(f"size must be > 0 (inf for Poisson), got {size}")
    means = np.asarray(mu, dtype=np.float64)
    if np.any(~np.isfinite(means)) or np.any(means < 0):
        raise ParameterError("means must be finite and >= 0")
    flat = means.ravel()
    out = np.zeros(flat.shape)
    live = np.flatnonzero(flat > 0)
    if live.size:
        sd = np.sqrt(flat[live] + flat[live] ** 2 / size)
        lo = np.maximum(0.0, np.floor(flat[live] - 12 * sd - 10))
        hi = np.ceil(flat[live] + 12 * sd + 10)
        width = int((hi - lo).max()) + 1
        step = max(1, _CHUNK_CELLS // width)
        for a in range(0, live.size, step):
            idx = live[a : a + step]
            m = flat[idx][:, None]
            k0 = lo[a : a + step][:, None]
            ks = k0 + np.arange(width)[None, :]
            if math.isinf(size):
                ratio = np.log(m) - np.log(ks[:, 1:])
            else:
                ratio = np.log((ks[:, :-1] + size) / ks[:, 1:]) + np.log(m / (m + size))
            steps = np.concatenate([np.zeros((len(idx), 1)), np.cumsum(ratio, axis=1)], axis=1)
            logp = _log_pmf_at(k0, m, size) + steps
            cdf = np.cumsum(np.exp(logp), axis=1)
            # Mass left of the window is below 1e-30; the first index reaching q is the answer.
            pos = np.argmax(cdf >= q - 1e-12, axis=1)
            pos[cdf[:, -1] < q - 1e-12] = width - 1
            out[idx] = k0[:, 0] + pos
    return out.reshape(means.shape)
