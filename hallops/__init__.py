"""hallops: hall operations and queue management for a government service centre."""

__version__ = "0.1.0"
