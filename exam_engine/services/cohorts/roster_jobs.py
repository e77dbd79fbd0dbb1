"""Large rosters as a job: the upload is checked in the request, the inviting runs after.

A roster is parsed in the request, so a bad line still answers at once with every problem
and nothing added. One of more than ``ROSTER_JOB_ROWS`` students is then handed to a
``cohort.roster`` job (in a worker when there is a queue; without one it runs before the
request answers): the job invites every row in one transaction, all or nothing, queues the
invitation mails, reports rows done of the total, and keeps the per-row outcome as its
result for the job's page. A smaller roster is invited in the request, as before.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from exam_engine.models import Cohort
from exam_engine.services import jobs
from exam_engine.services.cohorts.access import managed_cohort
from exam_engine.services.cohorts.invitations import send_invitation_mails
from exam_engine.services.cohorts.roster import RosterReport, RosterRow, invite_rows, parse_roster
from exam_engine.services.jobs import names
from exam_engine.services.transaction import end_read

# Rosters longer than this run as a job (a row's invitation mail is a job of its own, so a
# long roster in the request would queue hundreds of them while the instructor waits).
ROSTER_JOB_ROWS = 200

# The report's lists, kept in the job's result (its page says what each means).
OUTCOMES = ("invited", "already_invited", "already_member", "declined")


def submit_roster(
    session: Session, user_id: int, cohort: Cohort, text: str, *, now: datetime
) -> RosterReport | int:
    """Invite a roster: a small one here (its report, mails queued), a large one by a job
    (its id). RosterRejected, with every bad line, before anything is stored."""
    rows = parse_roster(text)
    if len(rows) > ROSTER_JOB_ROWS:
        end_read(session)
        job_id = jobs.enqueue(
            session,
            names.ROSTER,
            user_id=user_id,
            by=user_id,
            cohort_id=cohort.id,
            rows=[[row.line, row.email, row.name] for row in rows],
        )
        assert job_id is not None
        return job_id
    report = invite_rows(session, user_id, cohort, rows, now=now)
    send_invitation_mails(session, report.invitation_ids, user_id=user_id)
    return report


def run_roster(
    session: Session,
    user_id: int,
    cohort_id: int,
    rows: list[list[Any]],
    *,
    now: datetime,
    progress: Callable[[int, int], None],
) -> dict[str, Any]:
    """The job's work: invite the rows, queue their mails; the per-row outcome as a result."""
    # The instructor may have lost the cohort since the upload: NotFound fails the job.
    cohort = managed_cohort(session, user_id, cohort_id)
    parsed = [RosterRow(int(line), str(email), str(name)) for line, email, name in rows]
    total = len(parsed)
    progress(0, total)
    report = invite_rows(session, user_id, cohort, parsed, now=now)
    # Rows without a new invitation are done once the transaction committed; the rest once
    # their mail is queued.
    first = total - len(report.invitation_ids)
    progress(first, total)
    send_invitation_mails(
        session,
        report.invitation_ids,
        user_id=user_id,
        on_each=lambda queued: progress(first + queued, total),
    )
    result: dict[str, Any] = {"cohort": cohort.name, "rows": total}
    for key in OUTCOMES:
        result[key] = [asdict(row) for row in getattr(report, key)]
    return result
