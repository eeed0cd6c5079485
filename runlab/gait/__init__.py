"""Gait structure of a session: run/walk/stop segments, walk–run pattern, strides, hills;
steps from a phone's accelerometer and footfalls from sound; pose landmarks and running
form from a side-view video (:func:`pose`, :func:`form`; their modules are the private
``_pose`` and ``_form``, so ``runlab.gait.form`` is always the function).

All functions take cleaned records (:func:`runlab.clean`), IMU frames
(:func:`runlab.read_imu`) or audio (:func:`runlab.io.audio.read_audio`) and return polars
frames with units in the column names.
"""

from runlab.gait._form import (
    LEG_PER_HEIGHT,
    RUBRIC_RULES,
    STRIKE_THRESHOLDS_DEG,
    Form,
    form,
    rubric_suggestions,
)
from runlab.gait._pose import PoseFrame, pose
from runlab.gait.bouts import (
    PATTERNS,
    hills,
    run_walk_ratio,
    segments,
    strides,
    walk_run_pattern,
)
from runlab.gait.phone import STEP_BAND_HZ, step_records, steps
from runlab.gait.sound import FOOTFALL_BAND_HZ, footfall_summary, footfalls

__all__ = ["segments", "walk_run_pattern", "run_walk_ratio", "strides", "hills", "steps", "step_records",
           "footfalls", "footfall_summary", "form", "Form", "rubric_suggestions", "RUBRIC_RULES", "STRIKE_THRESHOLDS_DEG",
           "LEG_PER_HEIGHT", "pose", "PoseFrame", "PATTERNS", "STEP_BAND_HZ", "FOOTFALL_BAND_HZ"]
