"""How property tests search: fully in the suite, a tenth of it under mutation testing.

Neither profile times examples: these machines are shared, and a slow draw or example says
nothing about the code (speed belongs in benchmarks/).
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

# mutmut sets MUTANT_UNDER_TEST in every test run it makes; a surviving mutant reruns every
# test that covers its function, so full-size searches would make a run take hours.
UNDER_MUTATION = bool(os.environ.get("MUTANT_UNDER_TEST"))

UNTIMED = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow]}
settings.register_profile("suite", **UNTIMED)
settings.register_profile("mutation", max_examples=10, **UNTIMED)
settings.load_profile("mutation" if UNDER_MUTATION else "suite")


def examples(count: int) -> int:
    """The number of examples a property test with its own setting tries."""
    return max(10, count // 10) if UNDER_MUTATION else count
