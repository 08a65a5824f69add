import pytest

from juanzong_shared.storage import UnsafeObjectName, safe_key

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("key", ["../x", "a/../../b", "/etc/passwd", "a\\b", "a\x00b", "a\u202eb", "a//b",
                                 "", "./a", "a\nb", "x" * 1100])
def test_unsafe_names_refused(key):
    with pytest.raises(UnsafeObjectName):
        safe_key(key)


def test_safe_name_normalised_to_nfc():
    assert safe_key("station-01/job/起诉状\u0065\u0301.png") == "station-01/job/起诉状\u00e9.png"
