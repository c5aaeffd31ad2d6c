"""Login forms with an optional TOTP code (django-otp).

A user with a TOTP device must give its current code; others leave the field
empty. A wrong code gets the same message as a wrong password, so a password
guesser cannot tell that the password was right, and it counts as a failed
login for django-axes (the user_login_failed signal, as authenticate() sends).
"""

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.signals import user_login_failed

from .services import login_device_verify, user_requires_token

INVALID_LOGIN = (
    "Please enter a correct %(username)s and password, and the current code of your authenticator app "
    "if you enrolled one. Fields may be case-sensitive."
)


class OTPLoginMixin:
    otp_token = forms.CharField(
        label="Authenticator code",
        required=False,
        max_length=16,
        help_text="Only if an authenticator app is enrolled for your account.",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def clean(self):
        cleaned_data = super().clean()
        user = self.get_user()
        if user is not None and user_requires_token(user):
            device = login_device_verify(user=user, token=cleaned_data.get("otp_token", "").replace(" ", ""))
            if device is None:
                user_login_failed.send(
                    sender=__name__, credentials={"username": cleaned_data.get("username")}, request=self.request
                )
                self.user_cache = None
                raise self.get_invalid_login_error()
            # django_otp's user_logged_in receiver stores this device in the session,
            # which makes request.user.is_verified() true (OTPMiddleware).
            user.otp_device = device
        return cleaned_data


class OTPLoginForm(OTPLoginMixin, AuthenticationForm):
    otp_token = OTPLoginMixin.otp_token
    error_messages = {**AuthenticationForm.error_messages, "invalid_login": INVALID_LOGIN}


class OTPAdminLoginForm(OTPLoginMixin, AdminAuthenticationForm):
    otp_token = OTPLoginMixin.otp_token
    error_messages = {**AdminAuthenticationForm.error_messages, "invalid_login": INVALID_LOGIN}
