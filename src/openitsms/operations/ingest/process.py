"""The columnar reader in a process of its own: :class:`ReadingProcess`.

Reading a large audit-log export (:mod:`.fast`) and writing its records compete for Python's
lock when they share a process, even in two threads. For large files the reader runs in a
child process (``python -m openitsms.operations.ingest.process``: a fresh interpreter, not a
fork, since Polars' thread pool does not survive one) that opens the file with the same
options and sends each record frame back through its standard output in Arrow's IPC format.
A pipe holds little, so the child waits while the parent is busy and memory stays flat. The
ingest library needs no Django, so the child starts in well under a second.

What the child finds is what the reader in this process would find: frames, or
:class:`~.fast.Unsuitable` (raised here in turn, so the caller reads the file again with the
reference reader), or an error (raised here as :class:`ChildFailed`).

Messages: a line of JSON (``kind`` and figures), followed for a frame by ``size`` bytes of
Arrow IPC.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections.abc import Iterator
from typing import IO, Any, Final

import polars as pl

from .fast import Unsuitable, fast_frames
from .records import IngestError
from .stream import RecordStream, open_records

# Files smaller than this are read in this process: starting a process costs about half a
# second, more than it saves on a file of a few hundred thousand rows.
MIN_BYTES: Final = 64 << 20


class ChildFailed(RuntimeError):
    """The reading process stopped with an error (its text is the message)."""


class ReadingProcess:
    """A child process reading the audit-log export at ``path`` with
    ``open_records(path, **options)``, started at once: it reads its first blocks while the
    caller does other work (hashes the file). :meth:`frames` gives its record frames;
    :meth:`close` stops it if it is still running (always call it)."""

    def __init__(self, path: str, options: dict[str, Any]) -> None:
        self.child = subprocess.Popen(
            [sys.executable, "-m", __name__, path, json.dumps(options)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
        )

    def frames(self, stream: RecordStream) -> Iterator[pl.DataFrame]:
        """The record frames. ``stream`` (this process's stream of the same file) is kept up
        to date: rows read, records, and the daylight-saving adjustments counted."""
        child = self.child
        assert child.stdout is not None
        out = child.stdout
        while True:
            line = out.readline()
            if not line:
                child.wait()
                raise ChildFailed(f"the reading process ended (exit code {child.returncode})")
            message = json.loads(line)
            kind = message["kind"]
            if kind == "frame":
                data = out.read(message["size"])
                stream.rows_read, stream.records = message["rows_read"], message["records"]
                yield pl.read_ipc(io.BytesIO(data))
            elif kind == "done":
                stream.rows_read, stream.records = message["rows_read"], message["records"]
                stream.parser.gaps += message["gaps"]
                stream.parser.folds += message["folds"]
                return
            elif kind == "unsuitable":
                raise Unsuitable(message["why"])
            elif kind == "ingest":
                raise IngestError(message["why"])
            else:
                raise ChildFailed(message["why"])

    def close(self) -> None:
        child = self.child
        if child.stdout is not None:
            child.stdout.close()
        if child.poll() is None:
            child.kill()
        child.wait()


def _send(out: IO[bytes], message: dict[str, Any], data: bytes | memoryview = b"") -> None:
    out.write(json.dumps(message).encode() + b"\n")
    if data:
        out.write(data)
    out.flush()


def read(path: str, options: dict[str, Any], out: IO[bytes]) -> None:
    """The child's side: read ``path`` and write the messages to ``out``."""
    try:
        stream = open_records(path, **options)
        frames = fast_frames(stream, path)
        if frames is None:
            _send(out, {"kind": "unsuitable", "why": "not a file for the columnar reader"})
            return
        gaps, folds = stream.parser.gaps, stream.parser.folds
        for frame in frames:
            buffer = io.BytesIO()
            frame.write_ipc(buffer)
            data = buffer.getbuffer()
            _send(
                out,
                {
                    "kind": "frame",
                    "size": len(data),
                    "rows_read": stream.rows_read,
                    "records": stream.records,
                },
                data,
            )
        _send(
            out,
            {
                "kind": "done",
                "rows_read": stream.rows_read,
                "records": stream.records,
                "gaps": stream.parser.gaps - gaps,
                "folds": stream.parser.folds - folds,
            },
        )
    except Unsuitable as why:
        _send(out, {"kind": "unsuitable", "why": str(why)})
    except IngestError as error:
        _send(out, {"kind": "ingest", "why": error.message})
    except BrokenPipeError:
        pass  # the parent stopped listening (the import failed or was stopped)
    except Exception as error:  # noqa: BLE001 - told to the parent, which raises it
        _send(out, {"kind": "error", "why": f"{type(error).__name__}: {error}"})


if __name__ == "__main__":
    read(sys.argv[1], json.loads(sys.argv[2]), sys.stdout.buffer)
