"""/accounts/login/ with the optional TOTP step; the rest of /accounts/ is django.contrib.auth.urls."""

from django.contrib.auth.views import LoginView
from django.urls import path

from .forms import OTPLoginForm

urlpatterns = [
    path("login/", LoginView.as_view(authentication_form=OTPLoginForm), name="login"),
]
