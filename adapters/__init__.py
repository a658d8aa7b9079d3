"""The platforms around the core (console, Slack, the web form), the aiohttp server, the
composition root and the command line."""
