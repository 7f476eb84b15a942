"""The natural order of building and room names."""
from pm_platform.core.naturalsort import natural_key, unit_key


def test_numbers_in_names_sort_as_numbers():
    assert sorted(["10栋", "1栋", "2栋", "底商", "A栋"], key=natural_key) == ["1栋", "2栋", "10栋", "A栋", "底商"]
    assert sorted(["1001", "102", "101", "2"], key=natural_key) == ["2", "101", "102", "1001"]
    assert sorted(["3-10", "3-2", "12-1"], key=natural_key) == ["3-2", "3-10", "12-1"]
    assert sorted(["", None, "1"], key=natural_key) == ["", None, "1"]  # no name first, and no crash


def test_units_sort_by_building_then_entrance_then_room():
    units = [("10栋", "1", "101"), ("1栋", "2", "101"), ("1栋", "1", "1001"), ("1栋", "1", "102"), ("2栋", "", "101")]
    assert sorted(units, key=lambda u: unit_key(*u)) == [
        ("1栋", "1", "102"), ("1栋", "1", "1001"), ("1栋", "2", "101"), ("2栋", "", "101"), ("10栋", "1", "101")]
