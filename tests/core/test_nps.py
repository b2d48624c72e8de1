"""NPS groups: promoters 9-10, passives 7-8, detractors 0-6, for one answer, a list or a numpy array."""

import numpy as np
import pytest

from csdesk import metrics
from csdesk.nps import nps_group, nps_groups


@pytest.mark.parametrize(
    ("score", "group"),
    [(0, "detractor"), (6, "detractor"), (7, "passive"), (8, "passive"), (9, "promoter"), (10, "promoter")],
)
def test_one_answer(score, group):
    assert nps_group(score) == group


def test_a_list_and_an_array_group_alike():
    answers = [10, 9, 8, 7, 6, 0, 9, 3]
    assert nps_groups(answers) == (3, 2, 3)
    assert nps_groups(np.array(answers, dtype=np.int8)) == (3, 2, 3)
    assert nps_groups(a for a in answers) == (3, 2, 3)
    assert nps_groups([]) == (0, 0, 0)
    assert metrics.nps_score(*nps_groups(answers)) == 0.0
