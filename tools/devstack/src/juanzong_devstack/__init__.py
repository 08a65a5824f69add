"""Juanzong."""
