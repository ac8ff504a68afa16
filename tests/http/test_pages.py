import pytest

from hallops.http.pages import safe_next


@pytest.mark.parametrize("value", ["//evil.example", "/\t/evil.example/phish", "/\n/evil.example", "\\\\evil",
                                   "/\\evil.example", "https://evil.example/", "javascript:alert(1)", "", None,
                                   "evil.example", "/ok path"])
def test_sign_in_never_leads_off_the_site(value: str | None) -> None:
    assert safe_next(value) == "/"


@pytest.mark.parametrize("value", ["/console/liangjiang?window=5", "/manager/1#alerts", "/"])
def test_sign_in_returns_to_the_page_asked_for(value: str) -> None:
    assert safe_next(value) == value
