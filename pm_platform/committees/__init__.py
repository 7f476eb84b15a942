"""committees domain (see docs/architecture.md)."""
