"""`event`: Reflex's `rx.event`, as a typechecker other than pyright can read it.

Reflex types `rx.event` for pyright: `EventNamespace.__new__` returns the handler's
`EventCallback`. mypy honours a `__new__` only when it returns its own class, so to mypy every
handler decorated with `rx.event` is an `EventNamespace` that cannot be called, and a page that
binds a handler's arguments (`State.accept_offer(offer["id"])`) fails to typecheck. Handlers
are decorated with this `event` instead: at run time it is `rx.event` itself; to the typechecker
it makes a handler what a page uses it as, something that makes the event when called."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import reflex as rx

if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import overload

    @overload
    def event(func: Callable[..., Any], /) -> Any: ...

    @overload
    def event(*, background: bool | None = None, supersedes: bool | None = None,
              stop_propagation: bool | None = None, prevent_default: bool | None = None,
              throttle: int | None = None, debounce: int | None = None,
              temporal: bool | None = None) -> Callable[[Callable[..., Any]], Any]: ...

    def event(func: Callable[..., Any] | None = None, /, **options: Any) -> Any: ...
else:
    event = rx.event
