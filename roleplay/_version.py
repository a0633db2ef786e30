"""The library's version: one place, read by the package metadata and by the judge cache keys."""

__version__ = "0.1.0"
