"""The organisation: its file of who does what, the sync into the database, the settings
and the time zone, shared by every feature."""
