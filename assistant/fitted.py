"""Models fitted by `python -m evals.train` and shipped as JSON: one loader, one writer, one logistic function."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar

import numpy as np


def logistic(rows: np.ndarray, mean: list[float], scale: list[float], coef: list[float], intercept: float):
    """P(positive) of a standardised logistic regression, for one row or a matrix of rows."""
    z = (np.asarray(rows) - np.asarray(mean)) / np.asarray(scale)
    return 1.0 / (1.0 + np.exp(-(z @ np.asarray(coef) + intercept)))


def load(cls: type, path: Path, names: tuple[str, ...]) -> Any | None:
    """The model in `path`, or None when there is none or it was fitted for other features (retrain then)."""
    if not path.exists():
        return None
    model = cls(**json.loads(path.read_text(encoding="utf-8")))
    return model if tuple(model.names) == names else None


def save(model: Any, path: Path) -> None:
    path.write_text(json.dumps(model.__dict__, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


class FittedLogistic:
    """Load / save / P(positive) for a dataclass with names, mean, scale, coef and intercept fields, shipped at
    PATH and fitted for FEATURES."""

    FEATURES: ClassVar[tuple[str, ...]]
    PATH: ClassVar[Path]

    @classmethod
    def load(cls, path: Path | None = None):
        return load(cls, path or cls.PATH, cls.FEATURES)

    def save(self, path: Path | None = None) -> None:
        save(self, path or self.PATH)

    def probabilities(self, rows: np.ndarray) -> np.ndarray:
        if len(rows) == 0:
            return np.zeros(0)
        return logistic(rows, self.mean, self.scale, self.coef, self.intercept)  # type: ignore[attr-defined]
