"""The job worker's heartbeat: one ``worker_heartbeats`` row per running
``flask worker``, written when it starts and then every
``WORKER_HEARTBEAT_SECONDS`` by a daemon thread.

A row per process (not one shared row) so that several workers, on one host
or several, each show; ``/readyz`` only asks whether the newest is recent.
The thread writes in short transactions of its own on the app's engine, so a
long job never delays it, and a database outage (or a database not migrated
yet) only skips beats, logged, until it is fixed: the jobs go on.
"""
import logging
import os
import socket
import threading
from datetime import datetime, timedelta

from flask import Flask
from sqlmodel import Session, delete

from app.db import utcnow, write_intent
from app.models import WorkerHeartbeat

log = logging.getLogger(__name__)

#: Rows of workers gone this long are deleted when a worker starts.
FORGET_AFTER = timedelta(days=7)


def start(session: Session, *, host: str, pid: int, now: datetime) -> WorkerHeartbeat:
    """Add this worker's row (and forget workers gone for a week); the caller commits."""
    session.exec(delete(WorkerHeartbeat).where(WorkerHeartbeat.beat_at < now - FORGET_AFTER))
    beat = WorkerHeartbeat(host=host, pid=pid, started_at=now, beat_at=now)
    session.add(beat)
    session.flush()
    return beat


def beat(session: Session, *, heartbeat_id: int, host: str, pid: int, started_at: datetime,
         now: datetime) -> int:
    """Refresh this worker's row (adding it again if it was deleted); the
    caller commits. Returns the row's id."""
    row = session.get(WorkerHeartbeat, heartbeat_id)
    if row is None:
        row = WorkerHeartbeat(host=host, pid=pid, started_at=started_at)
    row.beat_at = now
    session.add(row)
    session.flush()
    return row.id


class Heartbeat:
    """The thread that keeps this process's row fresh while the worker runs."""

    def __init__(self, app: Flask):
        self.app = app
        self.interval = app.config["WORKER_HEARTBEAT_SECONDS"]
        self.host = socket.gethostname()[:255]
        self.pid = os.getpid()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.heartbeat_id: int | None = None
        self.started_at: datetime | None = None

    def _session(self) -> Session:
        return self.app.extensions["db"].sessionmaker()

    def start(self) -> None:
        """Beat now and then every ``interval`` seconds, in a daemon thread."""
        self.started_at = utcnow()
        self._thread = threading.Thread(target=self._run, name="worker-heartbeat", daemon=True)
        self._thread.start()

    def beat_once(self) -> None:
        """Write one heartbeat (the first adds this worker's row)."""
        with write_intent(), self._session() as session:
            if self.heartbeat_id is None:
                self.heartbeat_id = start(session, host=self.host, pid=self.pid, now=utcnow()).id
            else:
                self.heartbeat_id = beat(session, heartbeat_id=self.heartbeat_id, host=self.host, pid=self.pid,
                                         started_at=self.started_at, now=utcnow())
            session.commit()

    def _run(self) -> None:
        while True:
            try:
                self.beat_once()
            except Exception:  # noqa: BLE001 - a missed beat is what /readyz reports; the jobs go on
                log.warning("Could not record the worker's heartbeat", exc_info=True)
            if self._stop.wait(self.interval):
                return

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
