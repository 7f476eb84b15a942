"""fees domain (see docs/architecture.md)."""
