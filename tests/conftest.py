"""Shared fixtures. The LLM seam is faked in-process or served by the local test server."""
