"""Question authoring: create, edit, review, publish, retire; history, diffs; every change audited.

Workflow: draft -> in_review -> published -> retired (``domain.workflow``). Editing a published
(or retired) version makes a new draft version; the published one stays live until the new
one is published, and is then retired. A draft is edited in place; editing one in review
sends it back to draft. Only someone other than the version's author (or an admin) publishes.
"""

from exam_engine.domain.textdiff import DiffRow, Segment, UnifiedLine, diff_lines, unified_lines
from exam_engine.services.authoring.browse import (
    LINT_FILTERS,
    SORTS,
    BrowsePage,
    BrowseQuery,
    BrowseRow,
    LintFilter,
    browse,
)
from exam_engine.services.authoring.editor import (
    EDITOR_FILE,
    FIELD_LINES,
    FIELDS,
    PAIRWISE_RULES,
    ItemCheck,
    ItemInput,
    ItemInvalid,
    LintErrors,
    base_token,
    check_item,
    field_of,
    lint_record,
    next_free_key,
    raw_item,
    validate_input,
)
from exam_engine.services.authoring.history import (
    OBJECT_TYPE,
    FieldDiff,
    History,
    VersionDiff,
    diff_versions,
    history,
)
from exam_engine.services.authoring.reading import (
    get_question,
    live_of,
    newest_of,
    user_names,
    version_of,
)
from exam_engine.services.authoring.workflow import (
    SaveResult,
    can_publish,
    create_question,
    publish,
    retire,
    return_to_draft,
    save_draft,
    submit_for_review,
)

__all__ = [
    "EDITOR_FILE",
    "FIELDS",
    "FIELD_LINES",
    "LINT_FILTERS",
    "OBJECT_TYPE",
    "PAIRWISE_RULES",
    "SORTS",
    "BrowsePage",
    "BrowseQuery",
    "BrowseRow",
    "DiffRow",
    "FieldDiff",
    "History",
    "ItemCheck",
    "ItemInput",
    "ItemInvalid",
    "LintErrors",
    "LintFilter",
    "SaveResult",
    "Segment",
    "UnifiedLine",
    "VersionDiff",
    "base_token",
    "browse",
    "can_publish",
    "check_item",
    "create_question",
    "diff_lines",
    "diff_versions",
    "field_of",
    "get_question",
    "history",
    "lint_record",
    "live_of",
    "newest_of",
    "next_free_key",
    "publish",
    "raw_item",
    "retire",
    "return_to_draft",
    "save_draft",
    "submit_for_review",
    "unified_lines",
    "user_names",
    "validate_input",
    "version_of",
]
