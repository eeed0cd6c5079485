"""The :class:`Activity`: one recorded session with its records and everything around them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import polars as pl

from runlab import schema

__all__ = ["Activity"]


@dataclass
class Activity:
    """One activity as read from a file.

    ``records`` follow :data:`runlab.schema.RECORDS`; ``events`` follow
    :data:`runlab.schema.EVENTS`; ``laps``, ``sessions`` and ``device`` keep the
    format's own fields in canonical units (names with unit suffixes). ``meta`` holds
    ``format``, ``sport``, ``sub_sport``, ``start_time``, ``local_time_offset_s``,
    ``creator``, ``partial`` (True when ``strict=False`` read a truncated file) and more.
    """

    path: str
    records: pl.DataFrame
    events: pl.DataFrame = field(default_factory=lambda: schema.empty("events"))
    laps: pl.DataFrame = field(default_factory=pl.DataFrame)
    sessions: pl.DataFrame = field(default_factory=pl.DataFrame)
    device: pl.DataFrame = field(default_factory=pl.DataFrame)
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def sport(self) -> str | None:
        """The activity's sport in lower case (``"running"``, ``"walking"``...), if known."""
        return self.meta.get("sport")

    @property
    def partial(self) -> bool:
        """True when only the sound part of a damaged file was read (``strict=False``)."""
        return bool(self.meta.get("partial", False))

    def clean(self, **kwargs) -> pl.DataFrame:
        """Cleaned records: :func:`runlab.clean` with this activity's timer events."""
        from runlab.clean import clean

        return clean(self.records, events=self.events, **kwargs)

    def __repr__(self) -> str:
        return (f"Activity({self.path!r}, sport={self.sport!r}, records={self.records.height}, "
                f"laps={self.laps.height}, events={self.events.height}"
                f"{', partial' if self.partial else ''})")
