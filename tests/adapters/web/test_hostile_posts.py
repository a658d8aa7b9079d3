"""Arbitrary posts into the real /speakup endpoint, each carrying this browser's valid token so
it gets past the CSRF check: never a 5xx, never a traceback, never a case without its alerts."""

from __future__ import annotations

import logging
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import func, select

from adapters.runtime import Runtime
from adapters.web import csrf
from storage.outbox import OutboxRow
from tests.adapters.web.conftest import Posted, Visitor, cases
from tests.adapters.web.test_form import ANONYMOUS

NAMES = (
    "_form", "_submission", "_multi", "_action", "_value", "_csrf", "what", "where_when",
    "categories", "detriment", "outcome", "way", "contact", "code", "passphrase", "text",
    "again", "comment",
)  # fmt: skip
VALUES = (
    "speakup.raise", "speakup.lookup", "speakup.added", "speakup.feedback_given",
    "speakup.start", "speakup.check", "help.open", "anonymous", "confidential", "open",
    "patient_safety", "yes", "no", "SU-2222-22", "", "\x00", "\ud800", "é" * 3, "a" * 6000,
    *NAMES,
)  # fmt: skip
CONFIDENTIAL: Posted = [
    (k, {"way": "confidential", "contact": "Sam, 07700 900123"}.get(k, v)) for k, v in ANONYMOUS
]
KIND = ("That did not work", "Please check the form", "This page has expired")

names = st.sampled_from(NAMES) | st.text(max_size=20)
values = st.sampled_from(VALUES) | st.text(max_size=200)
pairs = st.lists(st.tuples(names, values), max_size=25)


@st.composite
def mutations(draw: st.DrawFn, real: Posted) -> Posted:
    """A real speak-up form post with pairs dropped, repeated, changed or added, or a field
    declared a list of boxes."""
    posted = list(real)
    for _ in range(draw(st.integers(1, 3))):
        how = draw(st.sampled_from(("drop", "repeat", "change", "add", "listify")))
        at = draw(st.integers(0, max(len(posted) - 1, 0)))
        if how == "listify":
            shown = [name for name, _ in real if not name.startswith("_")]
            posted.append(("_multi", draw(st.sampled_from(shown))))
        elif how == "add" or not posted:
            posted.insert(at, (draw(names), draw(values)))
        elif how == "drop":
            del posted[at]
        elif how == "repeat":
            posted.insert(at, posted[at])
        else:
            posted[at] = (posted[at][0], draw(values))
    return posted


def encoded(posted: Posted) -> bytes:
    return "&".join(
        f"{quote(k, errors='surrogatepass')}={quote(v, errors='surrogatepass')}" for k, v in posted
    ).encode()


async def alerts(runtime: Runtime) -> int:
    async with runtime.db.session() as session:
        return int((await session.exec(select(func.count()).select_from(OutboxRow))).one())


@pytest.fixture
async def real_post(visitor: Visitor) -> tuple[str, Posted]:
    """The speak-up form as the page holds it, filled in: the base for every mutation."""
    await visitor.open()
    await visitor.press("Start")
    fields = visitor.form_fields()
    return dict(fields)[csrf.FIELD], fields


@settings(
    max_examples=600,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
async def test_any_post_gets_a_kind_answer_and_writes_all_or_nothing(
    visitor: Visitor,
    runtime: Runtime,
    real_post: tuple[str, Posted],
    caplog: pytest.LogCaptureFixture,
    data: st.DataObject,
) -> None:
    token, fields = real_post
    page = data.draw(st.uuids()).hex  # as if each post came from a page of its own
    fresh = [(k, page if k == "_submission" else v) for k, v in fields]
    filled = data.draw(st.sampled_from((ANONYMOUS, CONFIDENTIAL)))
    body = data.draw(
        st.sampled_from(("mutated", "mutated", "pairs", "bytes")).flatmap(
            lambda kind: {
                "mutated": mutations([*fresh, *filled]).map(encoded),
                "pairs": pairs.map(lambda p: encoded([(csrf.FIELD, token), *p])),
                "bytes": st.binary(max_size=300).map(
                    lambda b: f"{csrf.FIELD}={token}&".encode() + b
                ),
            }[kind]
        )
    )
    caplog.clear()
    before = (await cases(runtime), await alerts(runtime))
    response = await visitor.http.post(
        "/speakup", data=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    answer = await response.text()
    assert response.status < 500, answer
    if response.status >= 400:
        assert any(kind in answer for kind in KIND), answer
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    made = await cases(runtime) - before[0]
    assert made in (0, 1)
    if made:
        assert await alerts(runtime) > before[1]
    else:
        assert await alerts(runtime) == before[1]
