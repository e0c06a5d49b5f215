"""Shared plumbing with no domain knowledge: SQL aggregates and the SQLite shim behind them,
the read-only admin base, e-mail sending. Every app may import core; core imports no app."""
