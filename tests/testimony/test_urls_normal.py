import pytest

from testimony.urls_normal import normal_url


@pytest.mark.parametrize(
    ("given", "normal"),
    [
        ("https://example.com/a", "https://example.com/a"),
        ("https://example.com/a/", "https://example.com/a"),
        ("https://example.com/", "https://example.com"),
        ("HTTPS://Example.COM/News/Item", "https://example.com/News/Item"),
        ("https://example.com:443/a", "https://example.com/a"),
        ("http://example.com:80/a", "http://example.com/a"),
        ("https://example.com:8443/a", "https://example.com:8443/a"),
        ("https://example.com/a?utm_source=tw&utm_medium=social", "https://example.com/a"),
        ("https://example.com/a?id=7&UTM_Campaign=x&fbclid=abc", "https://example.com/a?id=7"),
        ("https://example.com/a?gclid=1&page=2", "https://example.com/a?page=2"),
        ("https://example.com/a#comments", "https://example.com/a"),
        ("  https://example.com/a/  ", "https://example.com/a"),
        ("https://example.com/a?q=", "https://example.com/a?q="),
        ("", ""),
        ("not a url", "not a url"),
    ],
)
def test_normal_url(given, normal):
    assert normal_url(given) == normal


def test_normal_url_is_idempotent():
    once = normal_url("HTTP://Example.com:80/x/?utm_term=a&b=1#top")
    assert normal_url(once) == once == "http://example.com/x?b=1"
