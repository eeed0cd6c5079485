"""Cleaning of records (being written: see issue 5)."""


def clean(records, events=None, **kwargs):
    raise NotImplementedError("runlab.clean is being written (issue 5)")
