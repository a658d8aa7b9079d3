"""The terminal console: the third platform, for trying every flow without Slack or Teams."""

from adapters.console.address import console_address
from adapters.console.lines import LineSource, stdin_lines
from adapters.console.sender import ConsoleSender
from adapters.console.session import ConsoleSession

__all__ = ["ConsoleSender", "ConsoleSession", "LineSource", "console_address", "stdin_lines"]
