import pytest

from avataq.bulk import copy_insert
from scholarships.models import School

pytestmark = pytest.mark.django_db


def test_copy_insert_writes_every_row_and_fills_model_defaults():
    rows = [
        {"name": f"School {i}", "code": f"s-{i}", "kind": "cegep", "city": "Québec"}
        for i in range(3)
    ]

    assert copy_insert(School, rows) == 3

    schools = list(School.objects.order_by("code"))
    assert [s.code for s in schools] == ["s-0", "s-1", "s-2"]
    assert all(s.province == "QC" and s.is_active for s in schools)
