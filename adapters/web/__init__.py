"""The speak-up web form: the same flow as in chat, as plain pages on peerbot's own server.

It is for anyone who wants speaking up to leave no trace in a chat platform: no login, no
JavaScript, no third-party assets, and no cookie beyond the one that protects its forms.
"""

from adapters.web.app import mount, url

__all__ = ["mount", "url"]
