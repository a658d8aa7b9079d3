"""peerbot's platform-neutral conversation core: events in, replies out, no platform SDK."""
