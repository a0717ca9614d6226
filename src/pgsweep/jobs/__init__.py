"""Whole jobs the CLI runs: a scan, the report of a scan, the demo repository and the signature
self-test.
"""
