"""Write many new rows inside one transaction without holding every one in the session.

An import of a 50 MB file makes some 11,000 questions and as many versions. Kept in the
session until the commit, they (and the parameters of one 11,000-row flush) cost more memory
than the file itself. :class:`BatchWriter` flushes every ``size`` objects and expunges what
it flushed: the rows are in the transaction, not in the session, so a later error (a bad last
item, a lost race) still rolls all of them back with the rest.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

DEFAULT_BATCH = 500


class BatchWriter:
    """Add new objects to a session, flushing and expunging them ``size`` at a time."""

    def __init__(self, session: Session, size: int | None = None) -> None:
        size = DEFAULT_BATCH if size is None else size
        if size < 1:
            raise ValueError(f"batch size must be at least 1, got {size}")
        self.session = session
        self.size = size
        self.pending: list[object] = []
        self.flushed = 0

    def add(self, *objects: object) -> None:
        """Add objects (new rows); flush and expunge once ``size`` are waiting."""
        self.session.add_all(objects)
        self.pending.extend(objects)
        if len(self.pending) >= self.size:
            self.flush()

    def flush(self) -> None:
        """Write what is waiting (inside the caller's transaction) and let the session go of it."""
        if not self.pending:
            return
        self.session.flush()
        for obj in self.pending:
            self.session.expunge(obj)
        self.flushed += len(self.pending)
        self.pending.clear()
