"""peerbot's storage: SQLModel tables, the async engine, queries and migrations."""
