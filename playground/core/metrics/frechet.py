"""Fréchet distance between two sets of feature vectors (the "FID" idea).

Reference: Heusel et al. 2017, "GANs Trained by a Two Time-Scale Update Rule
Converge to a Local Nash Equilibrium" (arXiv:1706.08500). Here the features
come from the app's own small classifier, not Inception, so the numbers are
comparable within a dataset and run, not with published FIDs.

    d^2 = |mu_a - mu_b|^2 + tr(C_a + C_b - 2 (C_a C_b)^(1/2))

``tr((C_a C_b)^(1/2))`` is computed without scipy: with S = C_a^(1/2) (from a
symmetric eigendecomposition), C_a C_b is similar to S C_b S, which is
symmetric positive semi-definite, so the trace is the sum of the square roots
of its eigenvalues.
"""

from __future__ import annotations

import numpy as np


def feature_stats(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean (D,) and covariance D x D (float64) of features N x D (N >= 2)."""
    f = np.asarray(features, dtype=np.float64).reshape(len(features), -1)
    if len(f) < 2:
        raise ValueError("the Fréchet distance needs at least 2 samples per set")
    return f.mean(axis=0), np.atleast_2d(np.cov(f, rowvar=False))


def _sqrt_psd(c: np.ndarray) -> np.ndarray:
    w, v = np.linalg.eigh((c + c.T) / 2.0)
    return (v * np.sqrt(np.clip(w, 0.0, None))) @ v.T


def frechet_from_stats(mu_a: np.ndarray, cov_a: np.ndarray, mu_b: np.ndarray, cov_b: np.ndarray) -> float:
    """Fréchet distance (squared, as FID reports it) between two Gaussians."""
    cov_a, cov_b = np.atleast_2d(cov_a), np.atleast_2d(cov_b)
    s = _sqrt_psd(cov_a)
    m = s @ cov_b @ s
    tr_sqrt = np.sqrt(np.clip(np.linalg.eigvalsh((m + m.T) / 2.0), 0.0, None)).sum()
    diff = np.asarray(mu_a) - np.asarray(mu_b)
    value = float(diff @ diff + np.trace(cov_a) + np.trace(cov_b) - 2.0 * tr_sqrt)
    return max(value, 0.0)


def frechet_distance(features_a: np.ndarray, features_b: np.ndarray) -> float:
    """Fréchet distance between feature sets N x D and M x D (0 for identical sets)."""
    return frechet_from_stats(*feature_stats(features_a), *feature_stats(features_b))
