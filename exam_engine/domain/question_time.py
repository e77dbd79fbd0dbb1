"""Time spent per question, measured from the saves an attempt already records.

The exam page saves a response each time the candidate chooses an option or flags an item,
and every accepted save is kept with its server time. Sorted by time, the interval from the
previous save (or from the start, for the first) up to a save is counted to that save's
question: the time spent reading and answering it since the last thing the candidate did.
Saves after the end (submit, or the deadline) are left out, and so is the time after the last
save (checking flags and submitting), which belongs to no one question. A question never
saved gets no time (None): it may have been read, but nothing records how long.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime


def seconds_per_position(
    started: datetime, ended: datetime, saves: Iterable[tuple[int, datetime]]
) -> dict[int, float]:
    """Return seconds per saved position from (position, saved_at) saves, as described above."""
    if ended < started:
        raise ValueError(f"the attempt ends ({ended}) before it starts ({started})")
    spent: dict[int, float] = {}
    previous = started
    for position, saved_at in sorted(saves, key=lambda save: (save[1], save[0])):
        if saved_at > ended:
            break
        moment = max(saved_at, previous)
        spent[position] = spent.get(position, 0.0) + (moment - previous).total_seconds()
        previous = moment
    return spent
