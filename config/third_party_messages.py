"""Messages of third-party apps (and Django's sessions app) that ship no Traditional
Chinese translation.

django-axes writes its model and field names with gettext_lazy but has no zh_Hant
catalogue; Django looks a message up in the project's catalogue first, so listing the
msgids here (never imported: `makemessages` reads the file) keeps them in
locale/zh_Hant and translated, and the admin's login-attempt pages in Chinese. Check
this list when upgrading django-axes (tests/i18n/test_crawl.py fails on any it misses).
"""

from django.utils.translation import gettext_noop

AXES_MESSAGES = [
    gettext_noop("Access Attempt"),
    gettext_noop("Access lock out"),
    gettext_noop("Attempt Remaining"),
    gettext_noop("Attempt Time"),
    gettext_noop("Clean up expired attempts"),
    gettext_noop("Expires At"),
    gettext_noop("Failed Logins"),
    gettext_noop("Form Data"),
    gettext_noop("GET Data"),
    gettext_noop("HTTP Accept"),
    gettext_noop("IP Address"),
    gettext_noop("Locked Out"),
    gettext_noop("Logout Time"),
    gettext_noop("Meta Data"),
    gettext_noop("Not set"),
    gettext_noop("POST Data"),
    gettext_noop("Path"),
    gettext_noop("Session key hash (sha256)"),
    gettext_noop("The time when access attempt expires and is no longer valid."),
    gettext_noop("User Agent"),
    gettext_noop("Username"),
    gettext_noop("access attempt expiration"),
    gettext_noop("access attempt expirations"),
    gettext_noop("access attempt"),
    gettext_noop("access attempts"),
    gettext_noop("access failure"),
    gettext_noop("access failures"),
    gettext_noop("access log"),
    gettext_noop("access logs"),
]

# django.contrib.sessions: its app and model names, untranslated in Django's zh_Hant.
SESSIONS_MESSAGES = [gettext_noop("Sessions"), gettext_noop("session"), gettext_noop("sessions")]
