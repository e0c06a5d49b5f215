from __future__ import annotations

import contextlib
import hashlib
from typing import Any, ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device


class Board(models.TextChoices):
    MAIN = "main", _("Main Board")
    GEM = "gem", _("GEM")


class Industry(models.TextChoices):
    """Hang Seng Industry Classification System (HSICS) industries."""

    ENERGY = "energy", _("Energy")
    MATERIALS = "materials", _("Materials")
    INDUSTRIALS = "industrials", _("Industrials")
    CONSUMER_DISCRETIONARY = "consumer_discretionary", _("Consumer Discretionary")
    CONSUMER_STAPLES = "consumer_staples", _("Consumer Staples")
    HEALTHCARE = "healthcare", _("Healthcare")
    TELECOMMUNICATIONS = "telecommunications", _("Telecommunications")
    UTILITIES = "utilities", _("Utilities")
    FINANCIALS = "financials", _("Financials")
    PROPERTIES = "properties_construction", _("Properties & Construction")
    IT = "information_technology", _("Information Technology")
    CONGLOMERATES = "conglomerates", _("Conglomerates")


class MarketCapBand(models.TextChoices):
    XS = "lt_500m", _("Under HK$500 million")
    S = "500m_2b", _("HK$500 million – 2 billion")
    M = "2b_10b", _("HK$2 – 10 billion")
    L = "gt_10b", _("Over HK$10 billion")


class RevenueBand(models.TextChoices):
    XS = "lt_100m", _("Under HK$100 million")
    S = "100m_500m", _("HK$100 – 500 million")
    M = "500m_2b", _("HK$500 million – 2 billion")
    L = "gt_2b", _("Over HK$2 billion")


class EmployeeBand(models.TextChoices):
    XS = "lt_50", _("Fewer than 50")
    S = "50_249", _("50 – 249")
    M = "250_999", _("250 – 999")
    L = "1000_plus", _("1,000 or more")


stock_code_validator = RegexValidator(
    r"^[0-9]{5}$", _("A stock code is 1 to 5 digits, stored as five (e.g. 00700).")
)


def normalise_stock_code(raw: str) -> str:
    """'700' → '00700'. Raises ValueError for anything that is not 1–5 digits."""
    code = (raw or "").strip()
    if not code.isascii() or not code.isdigit() or not 1 <= len(code) <= 5:
        raise ValueError(raw)
    return code.zfill(5)


class Issuer(models.Model):
    name_en = models.CharField(_("name (English)"), max_length=200)
    name_zh = models.CharField(_("name (Chinese)"), max_length=200, blank=True)
    stock_code = models.CharField(
        _("HKEX stock code"), max_length=5, unique=True, validators=[stock_code_validator]
    )
    board = models.CharField(_("board"), max_length=8, choices=Board.choices)
    industry = models.CharField(_("industry"), max_length=32, choices=Industry.choices)
    # Blank until the issuer's lead confirms the profile (enrolment files carry no sizes).
    market_cap_band = models.CharField(
        _("market capitalisation"), max_length=16, choices=MarketCapBand.choices, blank=True
    )
    revenue_band = models.CharField(
        _("annual revenue"), max_length=16, choices=RevenueBand.choices, blank=True
    )
    employee_band = models.CharField(
        _("employees"), max_length=16, choices=EmployeeBand.choices, blank=True
    )
    profile_confirmed_at = models.DateTimeField(
        null=True, blank=True, verbose_name=_("profile confirmed at")
    )
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))

    class Meta:
        ordering = ["stock_code"]
        verbose_name = _("issuer")
        verbose_name_plural = _("issuers")
        constraints = [
            models.CheckConstraint(
                condition=Q(stock_code__regex=r"^[0-9]{5}$"), name="issuer_stock_code_5_digits"
            ),
            models.CheckConstraint(condition=Q(board__in=Board.values), name="issuer_board_valid"),
            models.CheckConstraint(
                condition=Q(industry__in=Industry.values), name="issuer_industry_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.stock_code} {self.name_en}"

    def clean_fields(self, exclude: Any = None) -> None:
        # Accept "700" as typed on HKEX's site; store the canonical "00700".
        with contextlib.suppress(ValueError):  # left as typed: the validator reports it
            self.stock_code = normalise_stock_code(self.stock_code)
        super().clean_fields(exclude=exclude)

    @property
    def display_name(self) -> str:
        if (get_language() or "").startswith("zh") and self.name_zh:
            return self.name_zh
        return self.name_en


class Role(models.TextChoices):
    ISSUER_LEAD = "issuer_lead", _("Issuer lead")
    ISSUER_CONTRIBUTOR = "issuer_contributor", _("Issuer contributor")
    ASSOCIATION_ADMIN = "association_admin", _("Association admin")
    ASSOCIATION_REVIEWER = "association_reviewer", _("Association reviewer")


ISSUER_ROLES = (Role.ISSUER_LEAD, Role.ISSUER_CONTRIBUTOR)
ASSOCIATION_ROLES = (Role.ASSOCIATION_ADMIN, Role.ASSOCIATION_REVIEWER)


def former_staff_label(issuer: Issuer | None) -> str:
    """The name an anonymised person is shown under, in the active language."""
    if issuer is None:
        return gettext("Former association staff")
    return gettext("Former staff of %(issuer)s") % {"issuer": issuer.display_name}


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("role", Role.ASSOCIATION_ADMIN)
        extra.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **extra)

    def get_by_natural_key(self, username: str | None) -> User:
        # E-mail addresses are stored lower-case; logging in is case-insensitive.
        return self.get(email__iexact=username or "")


class User(AbstractBaseUser, PermissionsMixin):  # type: ignore[django-manager-missing]  # django-otp is untyped
    email = models.EmailField(_("e-mail address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=150, blank=True)
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    issuer = models.ForeignKey(
        Issuer,
        verbose_name=_("issuer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="people",
    )
    language = models.CharField(_("language"), max_length=8, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("staff status"), default=False)
    date_joined = models.DateTimeField(default=timezone.now, verbose_name=_("date joined"))
    # Set when the association anonymised the person (privacy.services.person_anonymise):
    # name and address are gone, and the person is shown as former staff of their issuer.
    anonymised_at = models.DateTimeField(_("anonymised"), null=True, blank=True)

    objects: ClassVar[UserManager] = UserManager()  # type: ignore[assignment]

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.CheckConstraint(condition=Q(role__in=Role.values), name="user_role_valid"),
            # Issuer staff always belong to exactly one issuer; association staff to none.
            models.CheckConstraint(
                condition=(Q(role__in=ISSUER_ROLES) & Q(issuer__isnull=False))
                | (Q(role__in=ASSOCIATION_ROLES) & Q(issuer__isnull=True)),
                name="user_issuer_matches_role",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        """How the person is named on every page, export and e-mail: after anonymisation
        "Former staff" in the reader's language (never the old name, never an issuer)."""
        if self.anonymised_at is not None:
            # No issuer here: for someone who acted for several companies "former staff of
            # <the one last selected>" on another company's pages would tell that company
            # about the first. Pages of one issuer use `name_at(issuer)`.
            if self.is_issuer_staff:
                return gettext("Former staff")
            return former_staff_label(None)
        return self.full_name or self.email

    def name_at(self, issuer: Issuer | None) -> str:
        """The person's name where `issuer` is known (its team page, its contacts): an
        anonymised person is former staff of *that* issuer, which tells a company nothing
        about the other companies the person acted for."""
        if self.anonymised_at is not None:
            return former_staff_label(issuer if self.is_issuer_staff else None)
        return self.full_name

    @property
    def is_issuer_staff(self) -> bool:
        return self.role in ISSUER_ROLES

    @property
    def is_issuer_lead(self) -> bool:
        return self.role == Role.ISSUER_LEAD

    @property
    def is_association_staff(self) -> bool:
        return self.role in ASSOCIATION_ROLES

    def save(self, *args: Any, **kwargs: Any) -> None:
        super().save(*args, **kwargs)
        fields = kwargs.get("update_fields")
        if fields is None or {"issuer", "issuer_id", "role"} & set(fields):
            self._selected_membership_keep()

    def _selected_membership_keep(self) -> None:
        """Keep the selected issuer one of the person's memberships, with the same role.

        Access goes through memberships (accounts/access.py), while `issuer` and `role`
        say which issuer the person currently acts for. Whoever sets them directly is
        trusted code (the admin's user form, the demo seed, `issuer_switch`), so the pair
        becomes an active membership here: nobody loses access to the company their
        account names, and a role changed in the admin is the role their access follows.
        """
        if not self.is_issuer_staff or self.issuer_id is None:
            return
        membership, created = Membership.objects.get_or_create(
            user=self,
            issuer_id=self.issuer_id,
            defaults={
                "role": self.role,
                "invited_at": timezone.now(),
                "accepted_at": timezone.now() if self.has_usable_password() else None,
            },
        )
        accepted = membership.accepted_at or (
            timezone.now() if self.has_usable_password() else None
        )
        if not created and (membership.role, membership.is_active, membership.accepted_at) != (
            self.role,
            True,
            accepted,
        ):
            membership.role, membership.is_active, membership.accepted_at = (
                self.role,
                True,
                accepted,
            )
            membership.save(update_fields=["role", "is_active", "accepted_at"])
        self.memberships_forget()

    def memberships_active(self) -> dict[int, Membership]:
        """The person's active memberships by issuer id, their issuers loaded: one query,
        then kept on this object (one request's user), since every access rule asks."""
        cached: dict[int, Membership] | None = self.__dict__.get("_memberships_active")
        if cached is None:
            cached = {
                m.issuer_id: m
                for m in Membership.objects.filter(user=self, is_active=True).select_related(
                    "issuer"
                )
            }
            self.__dict__["_memberships_active"] = cached
        return cached

    def memberships_forget(self) -> None:
        self.__dict__.pop("_memberships_active", None)


class MembershipRole(models.TextChoices):
    """A person's role at one issuer (the same values as the issuer roles of `Role`)."""

    LEAD = Role.ISSUER_LEAD.value, _("Issuer lead")
    CONTRIBUTOR = Role.ISSUER_CONTRIBUTOR.value, _("Issuer contributor")


class Membership(models.Model):
    """A person acting for one issuer, e.g. a company-secretarial firm serving two.

    Access to an issuer's data goes only through an active membership. One created by the
    association (enrolment, the admin) is active at once; one a lead asks for on behalf of
    an address that already has an account stays inactive until its owner accepts, so a
    lead can neither find out who has an account nor take one over. The invitation
    lifecycle is recorded here: `invited_at` (the latest invitation sent),
    `invitation_opened_at` (the link was opened), `accepted_at` (a password chosen, or the
    membership accepted).
    """

    user = models.ForeignKey(
        "accounts.User",
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    issuer = models.ForeignKey(
        Issuer, verbose_name=_("issuer"), on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=32, choices=MembershipRole.choices)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    invited_by = models.ForeignKey(
        "accounts.User",
        verbose_name=_("invited by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    invited_at = models.DateTimeField(_("invited"), null=True, blank=True)
    # The name the inviter typed: a pending membership is listed under it, never under
    # the account's own name, which would tell a lead that the address has an account.
    invited_name = models.CharField(_("name given by the inviter"), max_length=150, blank=True)
    invitation_opened_at = models.DateTimeField(_("invitation opened"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "issuer"], name="membership_one_per_issuer"),
            models.CheckConstraint(
                condition=Q(role__in=MembershipRole.values), name="membership_role_valid"
            ),
        ]
        indexes = [models.Index(fields=["issuer", "role"], name="membership_issuer_role")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.issuer} ({self.get_role_display()})"

    @property
    def is_pending(self) -> bool:
        """Asked for by a lead, not yet accepted by the account's owner."""
        return not self.is_active and self.accepted_at is None

    @property
    def role_label(self) -> str:
        return str(MembershipRole(self.role).label)


class AccountEventKind(models.TextChoices):
    """What happened to an account's security or personal data. Every kind is shown to the
    person on their account page and to association admins in the Django admin."""

    MFA_ENROLLED = "mfa_enrolled", _("Second factor added")
    MFA_REMOVED = "mfa_removed", _("Second factor removed")
    MFA_FAILED = "mfa_failed", _("Wrong second-factor code")
    RECOVERY_CODES_ISSUED = "recovery_issued", _("Recovery codes issued")
    RECOVERY_CODE_USED = "recovery_used", _("Recovery code used")
    MFA_RESET = "mfa_reset", _("Second factor reset by the association")
    API_TOKEN_CREATED = "api_token_created", _("API token created")
    API_TOKEN_REVOKED = "api_token_revoked", _("API token revoked")
    API_TOKEN_USED = "api_token_used", _("API token used")
    DATA_EXPORTED = "data_exported", _("Personal data exported")
    ANONYMISED = "anonymised", _("Personal data anonymised")
    LANGUAGE_CHANGED = "language_changed", _("Language changed")


class AccountEvent(models.Model):
    """The account audit trail: one row per security or personal-data event, written only
    through `accounts.services.account_event_record`. `actor` is who did it (the person
    themselves, or an admin), `user` whose account it concerns; both kept on deletion of
    the actor so the trail survives staff leaving."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="account_events", verbose_name=_("person")
    )
    actor = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("done by"),
    )
    kind = models.CharField(_("event"), max_length=24, choices=AccountEventKind.choices)
    # Non-personal details only (a token's name, how many codes were issued): never a
    # secret, a code or an answer.
    detail = models.JSONField(_("details"), default=dict, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("account event")
        verbose_name_plural = _("account events")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=AccountEventKind.values), name="account_event_kind_valid"
            ),
        ]
        indexes = [models.Index(fields=["user", "-created_at"], name="account_event_user")]

    def __str__(self) -> str:
        # The kind in words (the admin's titles): its code is no UI text.
        return f"{self.user_id} {self.get_kind_display()} {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def kind_label(self) -> str:
        return str(AccountEventKind(self.kind).label)


class RecoveryCodes(Device):
    """A person's recovery codes, as one django-otp device: each code signs in once.

    Only salted SHA-256 digests are stored (`RecoveryCode`); the codes themselves are shown
    once, when issued (`accounts.services.recovery_codes_issue`). django-otp's own
    StaticDevice keeps its tokens in plain text, hence this model. A fast hash is enough
    here: a code is 50 random bits, not a password a person chose.
    """

    user = models.ForeignKey(
        "accounts.User", on_delete=models.CASCADE, related_name="recovery_codes"
    )
    salt = models.CharField(max_length=32)

    class Meta(Device.Meta):
        verbose_name = _("recovery codes")
        verbose_name_plural = _("recovery codes")
        constraints = [
            models.UniqueConstraint(fields=["user"], name="recovery_codes_one_per_user"),
        ]

    def digest(self, code: str) -> str:
        normalised = "".join(code.split()).replace("-", "").lower()
        return hashlib.sha256(f"{self.salt}:{normalised}".encode()).hexdigest()

    def verify_token(self, token: object) -> bool:
        """Use one unused code up; atomic, so a code works once even when sent twice."""
        if not isinstance(token, str) or not token.strip():
            return False
        used = self.codes.filter(digest=self.digest(token), used_at__isnull=True).update(
            used_at=timezone.now()
        )
        return used == 1

    def remaining(self) -> int:
        return self.codes.filter(used_at__isnull=True).count()


class RecoveryCode(models.Model):
    device = models.ForeignKey(RecoveryCodes, on_delete=models.CASCADE, related_name="codes")
    digest = models.CharField(max_length=64)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["device", "digest"], name="recovery_code_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.device_id} {'used' if self.used_at else 'unused'}"
