from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm as BasePasswordChangeForm
from django.contrib.auth.forms import UserChangeForm as BaseUserChangeForm
from django.contrib.auth.forms import UserCreationForm as BaseUserCreationForm
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnAttestation, WebAuthnCredential

from core.admin import ReadOnlyAdmin

from .models import AccountEvent, Issuer, Membership, User
from .services import second_factor_reset

# Second-factor devices are not edited in the admin: there only the audited reset (the
# "Reset the second factor" action on people), never a quiet way to give someone a device
# whose secret the admin knows.
for _model in (TOTPDevice, WebAuthnCredential, WebAuthnAttestation):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)


class UserCreationForm(BaseUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "full_name", "role", "issuer")


class UserChangeForm(BaseUserChangeForm):
    """Django's change form: the password hash is shown read-only, never as an input
    (a plain ModelForm field would print the hash into the page and accept any value)."""

    class Meta:
        model = User
        fields = (
            "email",
            "password",
            "full_name",
            "role",
            "issuer",
            "language",
            "is_active",
            "is_staff",
            "is_superuser",
            "groups",
            "last_login",
            "date_joined",
        )


class AdminPasswordChangeForm(BasePasswordChangeForm):
    """Django's form, with its help text translated: Django 5.2 has no zh_Hant text for it
    and writes its warning outside gettext."""

    usable_password_help_text = format_lazy(  # type: ignore[assignment]  # lazy: per request
        '{}<ul id="id_unusable_warning" class="messagelist"><li class="warning">{}</li></ul>',
        _(
            "Whether the user will be able to authenticate using a password or not. "
            "If disabled, they may still be able to authenticate using other backends, "
            "such as Single Sign-On or LDAP."
        ),
        _("If disabled, the current password for this user will be lost."),
    )


class MembershipInline(admin.TabularInline):
    """The issuers a person acts for. Shown, not edited: memberships change through the
    services (enrolment, invitations, acceptance); the person's `issuer` and `role`
    above select one of them (and a new pair becomes a membership)."""

    model = Membership
    fk_name = "user"
    extra = 0
    can_delete = False
    fields = ("issuer", "role", "is_active", "invited_at", "invitation_opened_at", "accepted_at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = UserChangeForm
    change_password_form = AdminPasswordChangeForm
    inlines = (MembershipInline,)
    add_form = UserCreationForm
    ordering = ("email",)
    list_display = ("email", "full_name", "role", "issuer", "is_active", "last_login")
    list_filter = ("role", "is_active", "is_staff")
    list_select_related = ("issuer",)
    search_fields = ("email", "full_name", "issuer__stock_code", "issuer__name_en")
    autocomplete_fields = ("issuer",)
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Person"), {"fields": ("full_name", "role", "issuer", "language")}),
        (_("Permissions"), {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "full_name", "role", "issuer", "password1", "password2"),
            },
        ),
    )
    readonly_fields = ("last_login", "date_joined")
    actions = ("second_factor_reset",)

    @admin.action(description=_("Reset the second factor (lost device)"))
    def second_factor_reset(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        """The audited reset (accounts.services.second_factor_reset): the person is
        e-mailed, signed out everywhere, and enrols again at their next sign-in."""
        done = 0
        for person in queryset:
            if person.pk == request.user.pk:
                self.message_user(
                    request,
                    _("You cannot reset your own second factor: ask another admin."),
                    messages.ERROR,
                )
                continue
            try:
                second_factor_reset(user=person, by=request.user, request=request)  # type: ignore[arg-type]
            except PermissionDenied:
                self.message_user(request, _("Only association admins reset it."), messages.ERROR)
                return
            done += 1
        if done:
            self.message_user(
                request,
                ngettext(
                    "Second factor reset for %(count)d person; they were told by e-mail.",
                    "Second factor reset for %(count)d people; they were told by e-mail.",
                    done,
                )
                % {"count": done},
                messages.SUCCESS,
            )


@admin.register(Issuer)
class IssuerAdmin(admin.ModelAdmin):
    list_display = ("stock_code", "name_en", "name_zh", "board", "industry", "market_cap_band")
    list_filter = ("board", "industry", "market_cap_band", "revenue_band", "employee_band")
    search_fields = ("stock_code", "name_en", "name_zh")


@admin.register(AccountEvent)
class AccountEventAdmin(ReadOnlyAdmin):
    """The account audit trail: written only by services.account_event_record."""

    list_display = ("created_at", "user", "kind", "actor", "ip_address")
    list_filter = ("kind",)
    search_fields = ("user__email", "actor__email")
    list_select_related = ("user", "actor")
