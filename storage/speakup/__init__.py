"""Speak-up's tables: sealed cases, their casework, and the guards on coming back."""
