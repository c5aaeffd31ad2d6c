from django.contrib import admin
from django.http import Http404
from django.urls import path

from .admin_policy import record_visible, with_access_policy
from .forms import OTPAdminLoginForm


class TestimonyAdminSite(admin.AdminSite):
    """The admin, with the same optional TOTP step at login as /accounts/login/, and the
    access policy of accounts/admin_policy.py on every model registered with it.

    Unlike django_otp.admin.OTPAdminSite it lets staff without a TOTP device in:
    researchers need no second factor; identity custodians need it only to see
    identity fields (accounts.access.can_view_identity).
    """

    login_form = OTPAdminLoginForm
    login_template = "admin/otp_login.html"

    def register(self, model_or_iterable, admin_class=None, **options):
        # Every ModelAdmin, ours or another app's (auth, axes, django-otp, DRF tokens), decides
        # what it accepts through the policy; a new one cannot be registered without it.
        admin_class = with_access_policy(admin_class or admin.ModelAdmin)
        return super().register(model_or_iterable, admin_class, **options)

    def admin_view(self, view, cacheable=False):
        return super().admin_view(view, cacheable)

    def get_urls(self):
        urls = super().get_urls()
        for index, pattern in enumerate(urls):
            if getattr(pattern, "name", None) == "view_on_site":
                urls[index] = path(
                    "r/<path:content_type_id>/<path:object_id>/",
                    self.admin_view(self.view_on_site),
                    name="view_on_site",
                )
        return urls

    def view_on_site(self, request, content_type_id, object_id):
        """Django's "view on site" redirect (/admin/r/<type>/<id>/), which would otherwise give a
        restricted record's public URL, and so its case ID, to anyone who guesses its id."""
        # Imported here: the site is built while the admin app loads (see django.contrib.admin.sites).
        from django.contrib.contenttypes.models import ContentType
        from django.contrib.contenttypes.views import shortcut

        try:
            model = ContentType.objects.get_for_id(int(content_type_id)).model_class()
        except (ValueError, ContentType.DoesNotExist):
            raise Http404 from None
        if model is None or not record_visible(request.user, model, object_id):
            raise Http404
        return shortcut(request, content_type_id, object_id)
