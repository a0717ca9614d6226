"""Detectors: signature-driven matching of chunks into candidates."""
