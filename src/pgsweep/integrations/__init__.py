"""Integrations: pgsweep inside other tools (detect-secrets)."""
