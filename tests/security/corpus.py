"""Hostile text: what gets typed into every free-text field by the security tests."""

from __future__ import annotations

XSS = (
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "'><svg/onload=alert(1)>",
    "</textarea><svg onload=alert(1)>",
    "</title></style></script><script>alert(1)</script>",
    '<a href="javascript:alert(1)">click</a>',
    "javascript:alert(1)",
    "<iframe srcdoc='<script>alert(1)</script>'></iframe>",
)
TEMPLATE = ("{{7*7}}", "{% debug %}", "{{ request.user.password }}", "${7*7}")
CSS = (
    "<style>body{background:url(file:///etc/passwd)}</style>",
    'x" style="background:url(file:///etc/passwd)',
    "<link rel=attachment href=file:///etc/passwd>",
    '<img src="file:///etc/passwd">',
    '<img src="http://127.0.0.1:9/x.png">',
)
FORMULA = (
    '=HYPERLINK("http://x","y")',
    "+cmd|' /C calc'!A0",
    "@SUM(1)",
    "-2+3",
    "\t=1+1",
    "\r=1+2",
    "\n=1+3",
    " =1+4",
)
OTHER = (
    "Ab\u202eexe.pdf",  # right-to-left override
    "九龍 & 新界 <b>粗體</b> 㗎",
    "'; DROP TABLE accounts_issuer; --",
    "multi\nline\r\nnote\rwith breaks",
)
CORPUS = XSS + TEMPLATE + CSS + FORMULA + OTHER
LONG_NOTE = "A" * 3950 + "<script>alert('long')</script>"

ISSUER_NAME_EN = '"><img src=x onerror=alert(1)> Holdings'
ISSUER_NAME_ZH = "</textarea><svg onload=alert(1)>控股"
COHORT_NAME_EN = "<link rel=attachment href=file:///etc/passwd> cohort"
COHORT_NAME_ZH = "</title><script>alert(1)</script>批次"
CONTRIBUTOR_NAME = "<script>alert('who')</script> Chan"


def stored(value: str) -> str:
    """Forms trim surrounding whitespace, so this is what the database keeps."""
    return value.strip()
