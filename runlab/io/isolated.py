"""Reading an activity file from someone you do not trust: in a worker, under hard limits."""

from __future__ import annotations

import os
from typing import Any

from runlab.isolation import IsolatedPool, limits_for, run_isolated

__all__ = ["read_isolated", "read_activity_isolated"]


def _read_activity_job(path: str, kwargs: dict) -> tuple[Any, list[Warning]]:
    """Worker side of :func:`read_activity_isolated`: the activity and its warnings."""
    import warnings

    from runlab.io import read_activity

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        act = read_activity(path, **kwargs)
    return act, [w.message for w in caught if isinstance(w.message, Warning)]


def read_activity_isolated(path: str | os.PathLike, *, time_limit_s: float | None = None,
                           memory_limit_mib: float | None = None, pool: IsolatedPool | None = None,
                           **kwargs: Any):
    """:func:`runlab.io.read_activity` in a worker process under hard limits.

    For files from people you do not trust: a file that would hang a reader or exhaust
    memory raises :class:`~runlab.errors.TimeLimitError` or
    :class:`~runlab.errors.MemoryLimitError` (naming the file) instead. Limits default to
    :func:`limits_for` the file's size. Costs a worker start (~1 s) unless ``pool`` (an
    :class:`IsolatedPool`) is given; the reader's warnings are re-issued here.

    Examples
    --------
    >>> act = runlab.io.read_activity_isolated("upload.fit", time_limit_s=30)  # doctest: +SKIP
    """
    import warnings

    name = os.fspath(path)
    try:
        size = os.stat(name).st_size
    except OSError:
        size = 0  # the reader says what is wrong with it
    limits = limits_for(size, time_limit_s, memory_limit_mib)
    if pool is None:
        act, caught = run_isolated(_read_activity_job, (name, kwargs), name, limits)
    else:
        act, caught = pool.call(_read_activity_job, (name, kwargs), name, limits)
    for w in caught:
        warnings.warn(w, stacklevel=2)
    return act


def read_isolated(path: str | os.PathLike, **kwargs: Any):
    """:func:`runlab.io.read` in a worker under hard limits (see
    :func:`read_activity_isolated`): the canonical records."""
    return read_activity_isolated(path, **kwargs).records
