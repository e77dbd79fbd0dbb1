"""How hard property tests search: fully in the suite, a tenth of it under mutation testing."""

from __future__ import annotations

import os

from hypothesis import settings

# mutmut sets MUTANT_UNDER_TEST in every test run it makes; a surviving mutant reruns every
# test that covers its function, so full-size searches would make a run take hours.
UNDER_MUTATION = bool(os.environ.get("MUTANT_UNDER_TEST"))

settings.register_profile("mutation", max_examples=10, deadline=None)
if UNDER_MUTATION:
    settings.load_profile("mutation")


def examples(count: int) -> int:
    """The number of examples a property test with its own setting tries."""
    return max(10, count // 10) if UNDER_MUTATION else count
