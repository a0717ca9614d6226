"""Tell whether leaked credentials still work: offline against verifiers, or live (opt-in)."""
