"""Calibrated confidence: how likely a predicted point value is exactly right.

A classifier first produces a raw certainty for each prediction (for a regression model,
the normal mass of its error over the band of the predicted point value, see
:func:`band_probability`; for a class-probability model, the top probability). An
isotonic fit of exact agreement on out-of-fold predictions then maps raw certainty to
observed agreement, so that a confidence of 0.6 means about 60 % exact agreement. The
calibration is two short arrays, interpolated at scoring time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.special import ndtr
from sklearn.isotonic import IsotonicRegression

MIN_ESSAYS_TO_CALIBRATE = 20


def residual_spread(predictions: NDArray[np.float64], targets: NDArray[np.float64]) -> float:
    """Root-mean-square error of out-of-fold predictions (1.0 with no predictions)."""
    if len(targets) == 0:
        return 1.0
    return max(float(np.sqrt(np.mean((predictions - targets) ** 2))), 1e-6)


def band_probability(
    predictions: NDArray[np.float64], cutpoints: NDArray[np.float64], spread: float
) -> NDArray[np.float64]:
    """Normal mass of each prediction's error over the band it was assigned to.

    Args:
        predictions: Continuous predictions.
        cutpoints: Sorted thresholds between consecutive point values.
        spread: Standard deviation of the prediction error.
    """
    band = np.searchsorted(cutpoints, predictions, side="right")
    edges = np.concatenate(([-np.inf], cutpoints, [np.inf]))
    low, high = edges[band], edges[band + 1]
    spread = max(spread, 1e-6)
    return np.asarray(ndtr((high - predictions) / spread) - ndtr((low - predictions) / spread))


@dataclass(frozen=True)
class IsotonicCalibration:
    """A monotone map from raw certainty to observed exact agreement, clipped to [0, 1]."""

    raw: NDArray[np.float64]
    calibrated: NDArray[np.float64]

    @classmethod
    def fit(cls, raw: NDArray[np.float64], exact: NDArray[np.bool_]) -> IsotonicCalibration:
        """Fit on out-of-fold raw certainties and whether each prediction was exact."""
        hits = exact.astype(np.float64)
        if len(np.unique(raw)) < 2 or len(hits) < MIN_ESSAYS_TO_CALIBRATE:
            # Too little to fit a curve: one level, the agreement rate pulled towards 1/2
            # (Laplace's rule), so that two lucky examples do not promise certainty.
            level = (float(hits.sum()) + 1.0) / (len(hits) + 2.0)
            return cls(np.array([0.0, 1.0]), np.array([level, level]))
        isotonic = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(raw, hits)
        return cls(
            np.asarray(isotonic.X_thresholds_, dtype=np.float64),
            np.asarray(isotonic.y_thresholds_, dtype=np.float64),
        )

    @classmethod
    def from_arrays(
        cls, raw: NDArray[np.float64], calibrated: NDArray[np.float64]
    ) -> IsotonicCalibration:
        """Rebuild from stored arrays.

        Raises:
            ValueError: The arrays are not an increasing map into [0, 1].
        """
        raw = np.asarray(raw, dtype=np.float64)
        calibrated = np.asarray(calibrated, dtype=np.float64)
        if raw.ndim != 1 or raw.shape != calibrated.shape or len(raw) < 1:
            raise ValueError("calibration arrays have mismatched shapes")
        if np.any(np.diff(raw) < 0) or np.any((calibrated < 0) | (calibrated > 1)):
            raise ValueError("calibration arrays are not an increasing map into [0, 1]")
        return cls(raw, calibrated)

    def __call__(self, raw: NDArray[np.float64]) -> NDArray[np.float64]:
        """Calibrated confidence of each raw certainty, in [0, 1]."""
        return np.clip(np.interp(raw, self.raw, self.calibrated), 0.0, 1.0)
