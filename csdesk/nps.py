"""NPS groups, the one place they are written: promoters answer 9-10, passives 7-8, detractors 0-6.

Kept apart from ``csdesk.metrics`` (which loads pandas) so the book table and the
demo generator can group one answer without that start-up cost.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

PROMOTER_MIN = 9  # 9 and 10
PASSIVE_MIN = 7  # 7 and 8; below is a detractor
GROUPS = ("promoter", "passive", "detractor")


def nps_group(score: float) -> str:
    """'promoter', 'passive' or 'detractor' for one 0-10 answer."""
    return "promoter" if score >= PROMOTER_MIN else "passive" if score >= PASSIVE_MIN else "detractor"


def nps_groups(scores: np.ndarray | Iterable[float]) -> tuple[int, int, int]:
    """(promoters, passives, detractors) among 0-10 answers: a numpy array or any list of numbers."""
    import numpy as np

    answers = np.asarray(scores if isinstance(scores, np.ndarray) else list(scores), dtype=float)
    promoters = int(np.count_nonzero(answers >= PROMOTER_MIN))
    detractors = int(np.count_nonzero(answers < PASSIVE_MIN))
    return promoters, answers.size - promoters - detractors, detractors
