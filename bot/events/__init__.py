"""Network events, the whole feature: staff find events and sign up, networks, invites,
reminders and offers, and the leads' tools."""
