"""Statistical models of running technique, on statsmodels, returning tidy polars frames.

- :func:`cadence_speed` — cadence against speed per runner (OLS) and for a cohort (MixedLM),
  with :meth:`CadenceSpeed.predict` for habitual cadence at a pace;
- :func:`stride` — step length against speed, cadence/step-length elasticities, speed-change
  decomposition and an overstriding indicator;
- :mod:`progression` — cadence over weeks by group, retention, target attainment, comfort and
  RPE (ordinal), walk–run ratio progression, baseline-mile change;
- :mod:`targets` — a personal target cadence zone (:func:`targets.cadence_zone`);
- :mod:`inference` — :func:`compare` (likelihood-ratio test on ML refits, AIC/BIC),
  :func:`icc` (ICC and variance components, parametric-bootstrap intervals),
  :func:`effect_sizes` (standardised effects), the minimum runners per group and clusters.

Mixed-model fixed effects have t intervals on Satterthwaite degrees of freedom (``df``).

Every result carries tidy frames (``term, estimate, std_error, statistic, df, p_value, ci_low,
ci_high, n``) and the fitted statsmodels object as ``.model``.
"""

from __future__ import annotations

from runlab.models import inference, progression, targets
from runlab.models.cadence import CadenceSpeed, cadence_speed, population_cadence
from runlab.models.inference import compare, effect_sizes, icc
from runlab.models.progression import (
    baseline_mile,
    comfort,
    retention,
    rpe,
    target_attainment,
    walk_run,
)
from runlab.models.stride import Stride, stride
from runlab.models.targets import CadenceZone, cadence_zone

__all__ = [
    "CadenceSpeed",
    "CadenceZone",
    "Stride",
    "baseline_mile",
    "cadence_speed",
    "cadence_zone",
    "comfort",
    "compare",
    "effect_sizes",
    "icc",
    "inference",
    "population_cadence",
    "progression",
    "retention",
    "rpe",
    "stride",
    "target_attainment",
    "targets",
    "walk_run",
]
