"""The roles of the project as auth groups with model permissions.

Researcher: create and edit cases, sources, quotes, tags, studies (not users).
Analyst: read everything but identity fields and restricted records.
Identity custodian: may see identity fields and restricted records.
Reviewer: may adjudicate where coders disagree (coding.adjudicate); combined
with Researcher, since a reviewer also reads and codes.
"""

from django.contrib.auth.models import Group, Permission

RESEARCHER = "Researcher"
ANALYST = "Analyst"
IDENTITY_CUSTODIAN = "Identity custodian"
REVIEWER = "Reviewer"
ROLE_NAMES = (RESEARCHER, ANALYST, IDENTITY_CUSTODIAN, REVIEWER)

DATA_APPS = ("testimony", "narratives", "reports", "coding")
# Held only by the roles that name them, never through "all data permissions".
SENSITIVE_CODENAMES = ("view_identity", "view_restricted", "adjudicate")


def role_permissions(role: str):
    data = Permission.objects.filter(content_type__app_label__in=DATA_APPS).exclude(codename__in=SENSITIVE_CODENAMES)
    if role == RESEARCHER:
        # History rows are written by the system, never edited by hand.
        return data.exclude(codename__regex=r"^(add|change|delete)_historical")
    if role == ANALYST:
        return data.filter(codename__startswith="view_")
    if role == IDENTITY_CUSTODIAN:
        return Permission.objects.filter(
            content_type__app_label="testimony", codename__in=("view_identity", "view_restricted")
        )
    if role == REVIEWER:
        return Permission.objects.filter(content_type__app_label="coding", codename="adjudicate")
    raise ValueError(f"Unknown role {role!r}; expected one of {', '.join(ROLE_NAMES)}.")


def sync_role_permissions(**kwargs):
    """Give each role exactly its permissions; runs after every migrate."""
    for name in ROLE_NAMES:
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(role_permissions(name))
