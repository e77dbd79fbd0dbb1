"""Attempt use cases: start (assemble), save a response, submit, sweep expired attempts.

The clock is the server's: every function takes ``now``. Saves are idempotent per
(position, seq); an older seq never overwrites a newer one; a save after the deadline plus
the grace period is refused, and the attempt is finalized on its next touch.
"""

from exam_engine.domain.vocabulary import FINISHED
from exam_engine.services.attempts.finishing import (
    finalize,
    grade_attempt,
    graded_items,
    rows_changed,
    submit_attempt,
    sweep_expired,
    touch,
)
from exam_engine.services.attempts.position import note_position, resume_position
from exam_engine.services.attempts.reading import (
    OPTION_IDS,
    ResponseRow,
    attempt_seq,
    get_attempt,
    grace,
    is_past_grace,
    load_for_view,
    remaining_seconds,
    response_rows,
    stored_index,
    stored_to_choice,
    user_attempts,
)
from exam_engine.services.attempts.saving import (
    AnswerLocked,
    AttemptFinished,
    DeadlinePassed,
    SaveResult,
    insert_response_once,
    refuse_closed,
    save_response,
    struck_ids,
)
from exam_engine.services.attempts.start import (
    add_form,
    add_items,
    deadline_for,
    load_user,
    lock_user,
    new_attempt,
    open_attempt,
    open_mock_keys,
    open_mock_questions,
    seen_counts,
    start_attempt,
    usage_counts,
)

__all__ = [
    "FINISHED",
    "OPTION_IDS",
    "AnswerLocked",
    "AttemptFinished",
    "DeadlinePassed",
    "ResponseRow",
    "SaveResult",
    "add_form",
    "add_items",
    "attempt_seq",
    "deadline_for",
    "finalize",
    "get_attempt",
    "grace",
    "grade_attempt",
    "graded_items",
    "insert_response_once",
    "is_past_grace",
    "load_for_view",
    "load_user",
    "lock_user",
    "new_attempt",
    "note_position",
    "open_attempt",
    "open_mock_keys",
    "open_mock_questions",
    "response_rows",
    "refuse_closed",
    "remaining_seconds",
    "resume_position",
    "rows_changed",
    "save_response",
    "seen_counts",
    "start_attempt",
    "stored_index",
    "stored_to_choice",
    "struck_ids",
    "submit_attempt",
    "sweep_expired",
    "touch",
    "usage_counts",
    "user_attempts",
]
