"""Microsoft Teams: botbuilder's CloudAdapter on peerbot's aiohttp server (behind one thin hosting
module), translating Activity JSON to and from the core."""
