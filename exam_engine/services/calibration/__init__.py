"""IRT calibration of the bank, ability of attempts, and the adaptive readiness check.

The formulas are in ``exam_engine.domain.irt``; here are the fit and its storage
(``fitting``), abilities on the stored scale (``ability``) and the readiness check
(``check``).
"""

from exam_engine.domain.irt.adaptive import SE_TARGET
from exam_engine.services.calibration.ability import (
    THIN_REASON,
    AttemptAbility,
    Scale,
    ability_of,
    attempt_responses,
    current_scale,
)
from exam_engine.services.calibration.check import (
    MAX_ITEMS,
    READINESS_TEMPLATE,
    Step,
    advance,
    start_check,
    used_items,
)
from exam_engine.services.calibration.fitting import (
    CUT_TARGET,
    CalibrationReport,
    calibration_listing,
    check_model,
    mark_stale,
    recalibrate,
)
from exam_engine.services.calibration.item_parameters import ItemParameters, item_parameters

__all__ = [
    "ItemParameters",
    "item_parameters",
    "MAX_ITEMS",
    "READINESS_TEMPLATE",
    "SE_TARGET",
    "Step",
    "advance",
    "start_check",
    "used_items",
    "CUT_TARGET",
    "THIN_REASON",
    "AttemptAbility",
    "CalibrationReport",
    "Scale",
    "ability_of",
    "attempt_responses",
    "calibration_listing",
    "check_model",
    "current_scale",
    "mark_stale",
    "recalibrate",
]
