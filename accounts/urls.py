from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from . import views
from .forms import EmailAuthenticationForm, StyledPasswordResetForm, StyledSetPasswordForm
from .mfa import second_factor_exempt

urlpatterns = [
    path("team/", views.team, name="team"),
    path("companies/", views.memberships, name="memberships"),
    path("me/", views.account, name="account"),
    path("company/", views.issuer_select, name="issuer_select"),
    path(
        "login/",
        auth_views.LoginView.as_view(
            authentication_form=EmailAuthenticationForm, redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("logout/", second_factor_exempt(auth_views.LogoutView.as_view()), name="logout"),
    # The second factor (accounts/mfa.py).
    path("mfa/", views.mfa_verify, name="mfa_verify"),
    path("mfa/enrol/", views.mfa_enrol, name="mfa_enrol"),
    path("mfa/recovery-codes/", views.mfa_recovery_codes, name="mfa_recovery_codes"),
    path("mfa/remove/", views.mfa_remove, name="mfa_remove"),
    # Security keys: django-otp-webauthn's JSON views (static/js/security-key.js).
    path(
        "mfa/key/register/begin/",
        second_factor_exempt(views.KeyRegisterBegin.as_view()),
        name="mfa_key_register_begin",
    ),
    path(
        "mfa/key/register/complete/",
        second_factor_exempt(views.KeyRegisterComplete.as_view()),
        name="mfa_key_register_complete",
    ),
    path(
        "mfa/key/verify/begin/",
        second_factor_exempt(views.KeyVerifyBegin.as_view()),
        name="mfa_key_verify_begin",
    ),
    path(
        "mfa/key/verify/complete/",
        second_factor_exempt(views.KeyVerifyComplete.as_view()),
        name="mfa_key_verify_complete",
    ),
    path(
        "password-reset/",
        auth_views.PasswordResetView.as_view(
            form_class=StyledPasswordResetForm,
            success_url=reverse_lazy("password_reset_done"),
            # StyledPasswordResetForm.send_mail renders accounts/email/new_link itself.
        ),
        name="password_reset",
    ),
    path(
        "password-reset/done/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "reset/<uidb64>/<token>/",
        # Invited people (and anyone resetting) are logged in and taken straight to
        # their assessment once they have chosen a password.
        views.InvitationConfirmView.as_view(
            form_class=StyledSetPasswordForm,
            post_reset_login=True,
            # Named because axes' backend comes first and cannot hold a session.
            post_reset_login_backend="django.contrib.auth.backends.ModelBackend",
            success_url=reverse_lazy("assessments:current"),
        ),
        name="password_reset_confirm",
    ),
    path(
        "reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
]
