import pytest

from shop_common.request_id import clean_request_id


@pytest.mark.parametrize("value", ["abc-123", "0f1e2d3c4b5a", "gw:1.2_3"])
def test_a_plain_caller_id_is_kept(value):
    assert clean_request_id(value) == value


@pytest.mark.parametrize("value", [None, "", "x" * 129, "has space", "<script>", "-leading"])
def test_an_odd_or_missing_id_is_replaced_by_a_new_one(value):
    new = clean_request_id(value)

    assert new != value
    assert len(new) == 32
