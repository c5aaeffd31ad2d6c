from django.contrib import admin

from .forms import OTPAdminLoginForm


class TestimonyAdminSite(admin.AdminSite):
    """The admin, with the same optional TOTP step at login as /accounts/login/.

    Unlike django_otp.admin.OTPAdminSite it lets staff without a TOTP device in:
    researchers need no second factor; identity custodians need it only to see
    identity fields (accounts.access.can_view_identity).
    """

    login_form = OTPAdminLoginForm
    login_template = "admin/otp_login.html"
