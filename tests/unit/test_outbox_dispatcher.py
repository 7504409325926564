"""The outbox's dispatcher: freshly committed messages leave off the request's thread, a message
that finds it idle at once, a stream of them gathered into fewer deliveries."""

from __future__ import annotations

import threading
import uuid

from ofair_app.services import notifications


def test_a_message_alone_goes_at_once_and_a_stream_is_gathered(monkeypatch) -> None:
    dispatcher = notifications._Dispatcher()
    a, b, c, d = (uuid.uuid4() for _ in range(4))
    deliveries: list[list[uuid.UUID]] = []
    slept: list[float] = []
    first_under_way, first_may_end = threading.Event(), threading.Event()

    def deliver(ids: list[uuid.UUID]) -> None:
        deliveries.append(list(ids))
        if len(deliveries) == 1:
            first_under_way.set()
            assert first_may_end.wait(10)

    def gather(seconds: float) -> None:  # the dispatcher's wait: the first time, one more comes
        slept.append(seconds)
        if len(slept) == 1:
            dispatcher.submit([d])

    monkeypatch.setattr(notifications, "_deliver_ids", deliver)
    monkeypatch.setattr(notifications.time, "sleep", gather)
    dispatcher.submit([a])
    assert first_under_way.wait(10)
    assert slept == []  # alone: no wait before it
    dispatcher.submit([b])  # these come while the first delivery is under way
    dispatcher.submit([c])
    first_may_end.set()
    dispatcher.drain()
    assert deliveries == [[a], [b, c, d]]
    # after each delivery: the second wait found nothing, and the dispatcher ended
    assert slept == [dispatcher.gather_seconds] * 2
