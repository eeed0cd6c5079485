"""Statistical models of running technique, on statsmodels, returning tidy polars frames.

- :func:`cadence_speed` — cadence against speed per runner (OLS) and for a cohort (MixedLM),
  with :meth:`CadenceSpeed.predict` for habitual cadence at a pace;
- :func:`step_length_speed` (:mod:`step_length`) — step length against speed, cadence/step-length elasticities, speed-change
  decomposition and an overstriding indicator;
- :func:`clinic_effect` — the clinic's effect per phase and group (difference in
  differences at matched speed, t intervals with Satterthwaite df);
- :mod:`progression` — cadence over weeks by group, retention, target attainment, walk–run
  ratio progression, baseline-mile change;
- :mod:`ordinal` — comfort and RPE (cumulative-logit GEE by runner, group in the model);
- :mod:`targets` — a personal target cadence zone (:func:`targets.cadence_zone`);
- :mod:`inference` — :func:`compare` (likelihood-ratio test on ML refits, AIC/BIC),
  :func:`icc` (ICC and variance components, parametric-bootstrap intervals),
  :func:`effect_sizes` (standardised effects), the minimum runners per group and clusters;
- :mod:`planning` — :func:`power` of a clinic design by simulation, :func:`power_curve`
  and :func:`sample_size`.

Mixed-model fixed effects have t intervals on Satterthwaite degrees of freedom (``df``).

Every result carries tidy frames (``term, estimate, std_error, statistic, df, p_value, ci_low,
ci_high, n``) and the fitted statsmodels object as ``.model``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

# Names resolve on first use (PEP 562), so that ``runlab.models.targets`` (the coach's
# tuner) does not import statsmodels, scipy.stats and pandas for the models it never fits.
_MODULES = ("inference", "ordinal", "progression", "step_length", "targets")
_NAMES = {
    "CadenceSpeed": "cadence", "cadence_speed": "cadence", "population_cadence": "cadence",
    "compare": "inference", "effect_sizes": "inference", "icc": "inference",
    "comfort": "ordinal", "rpe": "ordinal",
    "Design": "planning", "power": "planning", "power_curve": "planning",
    "sample_size": "planning",
    "baseline_mile": "progression", "clinic_effect": "progression", "retention": "progression",
    "target_attainment": "progression", "walk_run": "progression",
    "StepLengthSpeed": "step_length", "Stride": "step_length",
    "step_length_speed": "step_length", "stride": "step_length",
    "CadenceZone": "targets", "cadence_zone": "targets",
}

if TYPE_CHECKING:
    from runlab.models import inference, ordinal, progression, step_length, targets
    from runlab.models.cadence import CadenceSpeed, cadence_speed, population_cadence
    from runlab.models.inference import compare, effect_sizes, icc
    from runlab.models.ordinal import comfort, rpe
    from runlab.models.planning import Design, power, power_curve, sample_size
    from runlab.models.progression import (
        baseline_mile,
        clinic_effect,
        retention,
        target_attainment,
        walk_run,
    )
    from runlab.models.step_length import StepLengthSpeed, Stride, step_length_speed, stride
    from runlab.models.targets import CadenceZone, cadence_zone


def __getattr__(name: str):
    if name in _MODULES:
        return importlib.import_module(f"{__name__}.{name}")
    if name in _NAMES:
        value = getattr(importlib.import_module(f"{__name__}.{_NAMES[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


__all__ = [
    "Design",
    "CadenceSpeed",
    "CadenceZone",
    "StepLengthSpeed",
    "Stride",
    "baseline_mile",
    "cadence_speed",
    "cadence_zone",
    "clinic_effect",
    "comfort",
    "compare",
    "effect_sizes",
    "icc",
    "inference",
    "ordinal",
    "population_cadence",
    "power",
    "power_curve",
    "progression",
    "retention",
    "rpe",
    "sample_size",
    "step_length",
    "step_length_speed",
    "stride",
    "target_attainment",
    "targets",
    "walk_run",
]
