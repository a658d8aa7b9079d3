"""Slack: slack-bolt's AsyncApp on peerbot's aiohttp server, translating to and from the core."""
