"""Reporters: render a report model in one output format each."""
