"""Reading ahead in a thread: :func:`read_ahead`.

An import reads its file (Polars, which runs in Rust without Python's lock) while it writes
the records it has read (SQLite, which lets go of the lock while it works), so on two cores
both can go on at once. The reader runs in a thread and hands over at most ``depth`` items,
so memory holds a few batches, never the file.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from queue import Empty, Full, Queue
from typing import Any, Final, TypeVar

T = TypeVar("T")

_WAIT_S: Final = 0.1


def read_ahead(items: Iterable[T], depth: int = 2) -> Iterator[T]:
    """The items of ``items``, produced in a thread up to ``depth`` ahead of the consumer.

    An exception raised while producing is raised here, in the consumer, in its turn. When
    the consumer stops early (an exception, or closing the generator) the thread stops at
    its next item and is waited for.
    """
    queue: Queue[tuple[str, Any]] = Queue(maxsize=depth)
    stop = threading.Event()

    def put(message: tuple[str, Any]) -> bool:
        while not stop.is_set():
            try:
                queue.put(message, timeout=_WAIT_S)
                return True
            except Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put(("item", item)):
                    return
        except BaseException as error:  # noqa: BLE001 - handed to the consumer
            put(("error", error))
            return
        put(("done", None))

    thread = threading.Thread(target=produce, name="read-ahead", daemon=True)
    thread.start()
    try:
        while True:
            try:
                kind, value = queue.get(timeout=_WAIT_S)
            except Empty:
                if not thread.is_alive() and queue.empty():
                    raise RuntimeError("the reading thread stopped without a word") from None
                continue
            if kind == "item":
                yield value
            elif kind == "done":
                return
            else:
                raise value
    finally:
        stop.set()
        thread.join()
