"""Support: the organisation's wellbeing services and crisis contacts, always shown."""
