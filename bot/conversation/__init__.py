"""The conversation plumbing every feature shares: inbound events, replies and the reply
plan, the router, forms, typed payloads, the outbox, the tick, sealing and the codec."""
