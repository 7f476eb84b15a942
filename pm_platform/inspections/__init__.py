"""inspections domain (see docs/architecture.md)."""
