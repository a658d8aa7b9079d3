"""What speaking up costs in Slack: a concern sent and a case opened, before the modal's ack.

Run from the checkout: PYTHONPATH=. python bench/speakup_submit.py [N]. A submitted modal must
be acked with its outcome (the receipt, or field errors), so raising a case (scrypt-hashing the
passphrase, sealing the text, queueing guardian alerts) and opening one (an scrypt check) happen
before the ack, inside Slack's 3 seconds. The baseline in the same run is the /support slash
command ack. The last row is that same ack while 10 case look-ups run at once: scrypt runs in a
thread, so one person's deliberately slow check must not hold up everyone else.
"""

from __future__ import annotations

import asyncio
import json
import re
import statistics
import sys
import time
from typing import Any
from urllib.parse import urlencode

from aiohttp.test_utils import TestClient

from bench.slack_ack import signed, slack_app, summary, support_command, timed
from tests.adapters.slack.test_speakup_anonymity import submission
from tests.adapters.slack.test_speakup_casework import filled

RAISE_VIEW = {"callback_id": "speakup.raise", "private_metadata": "{}"}
LOOKUP_VIEW = {"callback_id": "speakup.lookup", "private_metadata": "{}"}


def payload(interaction: dict[str, Any]) -> str:
    return urlencode({"payload": json.dumps(interaction)})


async def post(client: TestClient, body: str) -> float:
    return await timed(client, "POST", "/slack/events", data=body, headers=signed(body))


async def raise_case(client: TestClient, i: int) -> tuple[float, str, str]:
    sent = submission(RAISE_VIEW, "anonymous")
    sent["view"]["id"] = f"V{i}"  # each a different form: a resend would be deduplicated
    sent["user"]["id"] = f"U{i}"  # and a different person: look-ups are rate-limited per person
    body = payload(sent)
    started = time.perf_counter()
    response = await client.post("/slack/events", data=body, headers=signed(body))
    text = await response.text()
    took = time.perf_counter() - started
    code = re.search(r"SU-[2-9A-Z]{4}-[2-9A-Z]{2}", text)
    phrase = re.search(r"passphrase is ((?:[2-9A-Z]{5}-){3}[2-9A-Z]{5})", text)
    assert response.status == 200 and code and phrase, text
    return took, code.group(0), phrase.group(1)


async def main(n: int) -> None:
    async with slack_app() as (client, api):
        support_body = support_command(api.base_url)
        support = [await post(client, support_body) for _ in range(n)]
        raised = [await raise_case(client, i) for i in range(n)]
        lookups = [
            payload(filled(f"U{i}", LOOKUP_VIEW, code=code, passphrase=phrase))
            for i, (_t, code, phrase) in enumerate(raised)
        ]
        opened = [await post(client, body) for body in lookups]
        busy: list[float] = []
        for start in range(0, n - 10, 10):
            checks = [post(client, body) for body in lookups[start : start + 10]]
            *_, ack = await asyncio.gather(*checks, post(client, support_body))
            busy.append(ack)
    print(summary("baseline /support ack", support))
    print(summary("anonymous concern raised", [t for t, _c, _p in raised]))
    print(summary("case opened with passphrase", opened))
    print(summary("/support ack, 10 look-ups at once", busy))
    base = statistics.median(support)
    for name, samples in (
        ("raise / baseline", [t for t, _c, _p in raised]),
        ("open / baseline", opened),
        ("busy ack / baseline", busy),
    ):
        print(f"{name} (medians): {statistics.median(samples) / base:.2f}")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 60))
