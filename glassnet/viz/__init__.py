"""Plots that training leaves behind: learning curves, confusion matrix, a grid of digits
with their predictions, decision boundaries of 2-D classifiers.

matplotlib is an optional dependency (``pip install glassnet[cli]``); it is imported only
when a plot is made, with the non-interactive Agg backend, so plotting works without a screen.
"""

from glassnet.viz.plots import (
    plot_confusion_matrix,
    plot_curves,
    plot_decision_boundary,
    plot_digit_predictions,
    plot_feature_maps,
    plot_filters,
    save_figure,
)

__all__ = ["plot_curves", "plot_confusion_matrix", "plot_digit_predictions",
           "plot_decision_boundary", "plot_filters", "plot_feature_maps",
           "save_figure"]
