"""pgsweep: find leaked PostgreSQL credentials and plan their rotation."""

__version__ = "0.1.0"
