"""Benchmark scripts and the local stand-ins they measure against; not part of the package."""
