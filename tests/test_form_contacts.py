"""Contact detection in runlab.gait.form: spurious contacts inside a step.

On real clips (benchmarks/validate_form_video.py, three runners) the detector found a
second contact 0.55–0.65 of a step after a true one (12 of 70 contacts on one clip), which
also biased the clip's cadence, or ~0.45 of a step before a true one. A running step is
never that much shorter than its neighbours: of two such contacts the one that keeps the
rhythm stays.
"""

import numpy as np
import pytest

from runlab.gait._form import _one_per_step
from runlab.simulate.pose import running_pose


def _steps(step_s=0.36, n=20, jitter=0.0, seed=0):
    rng = np.random.default_rng(seed)
    t = np.cumsum(np.full(n, step_s) + rng.uniform(-jitter, jitter, n))
    return [(float(x), "left" if i % 2 else "right") for i, x in enumerate(t)]


def test_a_contact_part_way_into_a_step_is_dropped():
    true = _steps()
    spurious = [(tc + 0.2, side) for tc, side in true[2:18:6]]  # 0.56 of a step later
    spurious += [(tc - 0.17, side) for tc, side in true[5:18:6]]  # 0.47 of a step before
    kept = _one_per_step(sorted(true + spurious))
    assert [tc for tc, _ in kept] == pytest.approx([tc for tc, _ in true])


def test_uneven_but_real_steps_are_all_kept():
    # ±12 % step-to-step variation and a left/right asymmetry of 15 %
    true = _steps(jitter=0.045, seed=3)
    limp = [(tc + (0.027 if i % 2 else 0.0), s) for i, (tc, s) in enumerate(true)]
    for steps in (true, limp):
        assert _one_per_step(steps) == steps


def test_a_few_contacts_are_left_alone():
    steps = [(0.0, "left"), (0.2, "right"), (0.55, "left")]
    assert _one_per_step(steps) == steps


@pytest.mark.parametrize("cadence", [150, 190])
def test_simulated_runner_keeps_every_step(cadence):
    from runlab.gait import form

    pose, truth = running_pose(fps=30, cadence_spm=cadence, noise_px=1.5, seed=cadence)
    found = form(pose).steps["time_s"].to_numpy()
    want = truth.filter(truth["time_s"] > 0.2)["time_s"].to_numpy()
    assert found.size == want.size
    assert np.abs(found - want).max() <= 0.033
