"""Temperature scaling: one number that makes a model as sure as it is right.

A model that has overfit its training text is too sure of itself on text it
never saw: the characters it gives high probability come true less often than
it says. Dividing its logits by one temperature T > 1, fitted on held-out text,
lowers its loss there without changing which token it ranks first (Guo et al.
2017, "On Calibration of Modern Neural Networks", section 4.2, fit T on the
validation set by minimising the negative log-likelihood). A model that did not
overfit gets T near 1.

    t = fit_temperature(logits, targets)      # logits N x V, targets N
    mean_nats(logits, targets, t) <= mean_nats(logits, targets)
    cross_fitted_nats(logits, targets)        # each half scored at the other half's T
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

GOLDEN = (math.sqrt(5) - 1) / 2  # 0.618...


def mean_nats(logits: torch.Tensor, targets: torch.Tensor, temperature: float = 1.0) -> float:
    """Mean cross-entropy in nats of ``logits`` (N x V) divided by ``temperature`` against ``targets`` (N,)."""
    return float(F.cross_entropy(logits.float() / temperature, targets))


def fit_temperature(logits: torch.Tensor, targets: torch.Tensor, low: float = 0.25, high: float = 4.0,
                    tolerance: float = 1e-4) -> float:
    """The temperature in [``low``, ``high``] that minimises ``mean_nats`` on these logits and targets.

    The loss is convex in 1/T (a log-sum-exp of lines in 1/T, less a line), so a
    golden-section search over 1/T finds its one minimum; deterministic.

    Args:
        logits: float N x V, the model's scores for N predictions (N >= 1).
        targets: int64 N, the tokens that came.
        tolerance: the search stops when 1/T is known to within this.
    Returns:
        T, a float in [low, high]; an end of the range when the minimum lies beyond it.
    """
    if logits.ndim != 2 or targets.shape != logits.shape[:1] or len(targets) == 0:
        raise ValueError(f"need logits N x V and N targets (N >= 1), got {tuple(logits.shape)} and {tuple(targets.shape)}")
    if not 0 < low < 1 <= high:
        raise ValueError(f"the range must hold 1, got {low} to {high}")
    logits = logits.float()

    def loss(beta: float) -> float:
        return mean_nats(logits * beta, targets)

    a, b = 1 / high, 1 / low  # over beta = 1/T
    c, d = b - GOLDEN * (b - a), a + GOLDEN * (b - a)
    fc, fd = loss(c), loss(d)
    while b - a > tolerance:
        if fc <= fd:
            b, d, fd = d, c, fc
            c = b - GOLDEN * (b - a)
            fc = loss(c)
        else:
            a, c, fc = c, d, fd
            d = a + GOLDEN * (b - a)
            fd = loss(d)
    return 1 / ((a + b) / 2)


def cross_fitted_nats(logits: torch.Tensor, targets: torch.Tensor) -> float:
    """Mean nats with each half of the predictions scored at the temperature fitted on the other half.

    What fitting T on the same text it is scored on could flatter: when this is
    as low as ``mean_nats`` at the temperature fitted on all of it, the gain is
    the temperature's, not the fit's. Needs at least two predictions.
    """
    half = len(targets) // 2
    if half < 1:
        raise ValueError("need at least two predictions to fit on one half and score the other")
    first, second = slice(0, half), slice(half, None)
    t_first = fit_temperature(logits[first], targets[first])
    t_second = fit_temperature(logits[second], targets[second])
    total = (mean_nats(logits[second], targets[second], t_first) * (len(targets) - half)
             + mean_nats(logits[first], targets[first], t_second) * half)
    return total / len(targets)
