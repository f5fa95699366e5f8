"""Quality measures for generative models: Fréchet distance, nearest neighbours, alerts."""

from playground.core.metrics.alerts import Alert, check_alerts, d_overpowering_alert, mode_collapse_alert
from playground.core.metrics.frechet import feature_stats, frechet_distance, frechet_from_stats
from playground.core.metrics.nearest import copy_ratio, nearest_neighbours, typical_neighbour_distance

__all__ = [
    "Alert", "check_alerts", "copy_ratio", "d_overpowering_alert", "feature_stats", "frechet_distance",
    "frechet_from_stats", "mode_collapse_alert", "nearest_neighbours", "typical_neighbour_distance",
]
