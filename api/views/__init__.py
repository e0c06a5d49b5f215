"""The API's endpoints, one module per audience: `framework` (public), `issuers` (an
issuer's people), `cohorts` (the association), and `tokens` (the HTML page where a person
manages their own tokens). Each endpoint looks its objects up through the same scoped
selectors as the pages (404 outside one's scope) and asks the same `access` predicate."""
