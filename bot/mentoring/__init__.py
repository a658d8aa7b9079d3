"""Mentoring programmes, the whole feature."""
