"""Who may see what. Every surface asks these, never the permissions directly.

- identity fields (Defector.IDENTITY_FIELDS): holders of testimony.view_identity,
  who, while TESTIMONY_REQUIRE_OTP_FOR_IDENTITY is on, must also have passed the
  TOTP step at login (django-otp: request.user.is_verified());
- restricted defectors: holders of testimony.view_restricted (others get 404);
- small counts of people in aggregates: below TESTIMONY_MIN_CELL they show as
  "<N" to users without identity access (statistical disclosure control);
- anonymous visitors: public records and public fields only, and only while
  TESTIMONY_PUBLIC_READ is on (otherwise they are sent to the login page).
"""

from django.conf import settings
from django.contrib.auth.mixins import AccessMixin


def can_view_identity(user) -> bool:
    if not (user and user.is_authenticated and user.has_perm("testimony.view_identity")):
        return False
    if settings.TESTIMONY_REQUIRE_OTP_FOR_IDENTITY:
        # OTPMiddleware gives request.user is_verified(); a user from anywhere
        # else (API token, shell, a plain User instance) has none and is refused.
        is_verified = getattr(user, "is_verified", None)
        return bool(is_verified and is_verified())
    return True


def can_view_restricted(user) -> bool:
    return bool(user and user.is_authenticated and user.has_perm("testimony.view_restricted"))


def min_cell_for(user) -> int:
    """The smallest count of people shown to this user in aggregates (reports.disclosure); 0 for all."""
    return 0 if can_view_identity(user) else settings.TESTIMONY_MIN_CELL


def masked(count, min_cell: int):
    """The count, or ``"<min_cell"`` when it is small enough to single someone out (zeros point at nobody)."""
    if isinstance(count, int) and not isinstance(count, bool) and 0 < count < min_cell:
        return f"<{min_cell}"
    return count


def audience(user) -> str:
    """Every decision above that changes what a shared page shows, as one key.

    A page kept for reuse (testimony/kept_pages.py) is rendered for one audience and
    served only to it, so whatever a page may show must follow from these decisions
    alone; a new rule that changes what a page shows belongs here too."""
    return f"restricted={int(can_view_restricted(user))}:identity={int(can_view_identity(user))}"


def can_browse(user) -> bool:
    return bool(user and user.is_authenticated) or settings.TESTIMONY_PUBLIC_READ


class BrowseRequiredMixin(AccessMixin):
    """Sends anonymous visitors to the login page unless public read is on."""

    def dispatch(self, request, *args, **kwargs):
        if not can_browse(request.user):
            return self.handle_no_permission()
        return super().dispatch(request, *args, **kwargs)
