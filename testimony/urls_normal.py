"""One spelling per web address, so that the same article is one source.

Press URLs reach the database from the admin, the API and CSV imports, copied
from browsers and share buttons: ``HTTPS://Example.com:443/a/?utm_source=x``
and ``https://example.com/a`` are the same article. :func:`normal_url` is
applied before a source is saved (services.source_save), so the database's
uniqueness constraint on the URL compares the normal forms.
"""

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

DEFAULT_PORTS = {"http": 80, "https": 443}
# Parameters that say who shared a link, not what it links to.
TRACKING_PARAMETERS = frozenset({"fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "igshid"})


def _tracking(name: str) -> bool:
    name = name.lower()
    return name.startswith("utm_") or name in TRACKING_PARAMETERS


def normal_url(url: str) -> str:
    """The address with scheme and host in lower case, no default port, no
    trailing slash, no tracking parameters and no fragment. The path's and
    remaining query's case are kept: servers may tell them apart. Text that
    does not parse as a URL is returned stripped, for the validator to reject."""
    text = url.strip()
    if not text:
        return ""
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return text
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if not scheme or not host:
        return text
    if ":" in host:  # an IPv6 literal keeps its brackets
        host = f"[{host}]"
    if port is not None and port != DEFAULT_PORTS.get(scheme):
        host = f"{host}:{port}"
    userinfo = parts.netloc.rpartition("@")[0]
    netloc = f"{userinfo}@{host}" if userinfo else host
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _tracking(k)])
    path = parts.path.rstrip("/")
    return urlunsplit((scheme, netloc, path, query, ""))
