"""The association's cohort index report: where a programme year's membership stands,
how it moved since the previous year and what to do about it, as anonymised statistics
only (docs/SECURITY.md, "Cohort index report").

- `data.py` reads a cohort into memory once (`cohort_data`): each counted company's
  frozen scores, groups, key figures and value-chain depths, without names;
- `stats.py` the disclosure rules applied to groups (k >= 5, no differencing), reusing
  `reports.benchmarks.disclosure` / `describe`;
- `content.py` one keyword-only builder per section, each returning a dataclass;
  `IndexContent` builds them on first use for the report and the dashboard;
- `services.py` request / render (idempotent, like issuer reports), HTML and PDF.
"""
