"""Console input from a real pipe: what `printf 'help\\nquit\\n' | make run` relies on."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

PROGRAM = textwrap.dedent(
    """
    import asyncio
    from adapters.console import stdin_lines

    async def main():
        lines = stdin_lines()
        while (line := await lines.read("you> ")) is not None:
            print("got", repr(line))
        print("end")

    asyncio.run(main())
    """
)


def run(stdin: bytes) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM],
        input=stdin,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
        capture_output=True,
        timeout=30,
        check=True,
    )
    return done.stdout.decode().splitlines()


def test_piped_lines_are_read_one_by_one_and_echoed_after_the_prompt() -> None:
    assert run(b"help\r\nsupport me\n\nlast line without newline") == [
        "you> help",
        "got 'help'",
        "you> support me",
        "got 'support me'",
        "you> ",
        "got ''",
        "you> last line without newline",
        "got 'last line without newline'",
        "end",
    ]


def test_bytes_that_are_not_text_do_not_end_the_session() -> None:
    assert run(b"caf\xe9\nhelp\n") == [
        "you> caf\ufffd",
        "got 'caf\ufffd'",
        "you> help",
        "got 'help'",
        "end",
    ]
