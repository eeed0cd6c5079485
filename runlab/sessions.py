"""The clinic's session design in numbers: warm-up, walk units, strides, hill reps, their
recoveries and cool-down [s]. :mod:`runlab.plan` builds sessions from them,
:mod:`runlab.cues` turns them into watch workout steps, :mod:`runlab.simulate` into runs."""

from __future__ import annotations

__all__ = ["WALK_UNIT_S", "STRIDE_S", "STRIDE_RECOVERY_S", "HILL_REP_S", "HILL_RECOVERY_S",
           "WARMUP_S", "COOLDOWN_S", "MILE_M"]

MILE_M = 1609.344  # the baseline test distance: one international mile [m]
WALK_UNIT_S = 60.0  # one minute of walking per walk–run repeat
STRIDE_S = 30.0  # the clinic's 30-second strides
STRIDE_RECOVERY_S = 90.0
HILL_REP_S = 30.0
HILL_RECOVERY_S = 90.0  # walk back down
WARMUP_S = 300.0
COOLDOWN_S = 300.0
