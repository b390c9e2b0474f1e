import pytest

from avataq.odoo.tests.exports import import_odoo, write_exports


@pytest.fixture
def exports(tmp_path):
    """A folder of Odoo 16 exports (see ``exports.py``)."""
    return write_exports(tmp_path / "odoo")


@pytest.fixture
def imported(exports):
    """The exports imported once (one student refused: it has no status number)."""
    code, output = import_odoo(str(exports))
    assert code == 1, output  # the refused student (and its inscription)
    return exports
