"""Item analysis: recompute the stored statistics from first attempts, mark them stale, read them.

The formulas are in ``exam_engine.domain.item_analysis`` and ``domain.item_scopes``; here are
the staleness marks (``staleness``), the recompute (``refresh``) with its fast readers and
writers (``fast_io``) and their plain ORM reference (``reference``), and the page queries
(``queries``).
"""

from exam_engine.domain.item_scopes import ALL_TEMPLATES, Computed, ResponseData, ScopeRows, compute
from exam_engine.services.item_stats.fast_io import load_responses
from exam_engine.services.item_stats.queries import (
    FLAG_FILTERS,
    PER_PAGE,
    REVIEW_FLAGS,
    SORTS,
    ItemDetail,
    ItemPage,
    ItemRow,
    ScopeStatus,
    export_scope,
    item_detail,
    list_items,
    list_scopes,
    scope_status,
)
from exam_engine.services.item_stats.reference import load_responses_plain
from exam_engine.services.item_stats.refresh import RecomputeReport, recompute
from exam_engine.services.item_stats.staleness import (
    SETTING,
    mark_stale,
    min_responses_setting,
    record_responses,
)

__all__ = [
    "ALL_TEMPLATES",
    "FLAG_FILTERS",
    "PER_PAGE",
    "REVIEW_FLAGS",
    "SETTING",
    "SORTS",
    "Computed",
    "ItemDetail",
    "ItemPage",
    "ItemRow",
    "RecomputeReport",
    "ResponseData",
    "ScopeRows",
    "ScopeStatus",
    "compute",
    "export_scope",
    "item_detail",
    "list_items",
    "list_scopes",
    "load_responses",
    "load_responses_plain",
    "mark_stale",
    "min_responses_setting",
    "recompute",
    "record_responses",
    "scope_status",
]
