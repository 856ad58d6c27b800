"""``flask worker``: run the queued background jobs (brochure builds)."""
import logging
import os
import socket
import sys

import click
from flask import current_app
from flask.cli import with_appcontext
from huey.consumer import Consumer

from app.jobs import job_queue, run_worker_start
from app.ops.heartbeat import Heartbeat
from app.ops.logs import register_job_logging


@click.command("worker")
@click.option("-w", "--workers", default=1, show_default=True, type=click.IntRange(1, 4),
              help="Jobs run at the same time. A brochure build renders in several processes "
                   "of its own, so 1 or 2 is plenty.")
@click.option("-v", "--verbose", is_flag=True, help="Log every step of the queue (debug).")
@with_appcontext
def worker_command(workers: int, verbose: bool):
    """Run the background jobs (brochure builds) until stopped.

    The queue is the SQLite file JOBS_SQLITE_PATH (default
    instance/jobs.sqlite3), or Redis at JOBS_REDIS_URL. Ctrl+C (SIGINT) lets
    running jobs finish first (press it twice to stop at once); SIGTERM stops
    at once. `make run` starts one beside the web server. Under systemd
    (Type=notify) it reports READY=1 once it takes jobs. It records a
    heartbeat every WORKER_HEARTBEAT_SECONDS (/readyz checks it) and logs
    each job with its id, duration and outcome.
    """
    queue = job_queue()
    if queue.huey.immediate:
        raise click.ClickException("In testing, jobs run at once when queued: there is nothing for a worker to do.")
    _log_to_stderr(logging.DEBUG if verbose else logging.INFO)
    register_job_logging(queue.huey)
    click.echo(f"Worker: {workers} thread(s) on the {queue.backend} queue; jobs: {', '.join(sorted(queue.tasks))}")
    click.echo(f"Periodic jobs ({queue.app.config['TIMEZONE']}): "
               + (", ".join(f"{name} at '{cron}'" for name, cron in sorted(queue.schedules.items())) or "none"))
    # Before taking jobs: end what a killed worker left running (its job is gone from the queue).
    run_worker_start()
    # Threads, not Huey's "process" workers: those are daemon processes, which
    # may not start the processes a brochure build renders its chapters in.
    consumer = ReadyConsumer(
        queue.huey,
        workers=workers,
        worker_type="thread",
        periodic=True,  # enqueue the periodic jobs registered on the queue (app.jobs) when they are due
        # The SQLite queue is polled: wait at most 2 s before starting a new job.
        max_delay=2.0,
    )
    heartbeat = Heartbeat(current_app._get_current_object())
    heartbeat.start()
    try:
        consumer.run()
    finally:
        heartbeat.stop()


class ReadyConsumer(Consumer):
    """Huey's consumer, telling its supervisor when it is ready."""

    def start(self):
        super().start()  # threads started, then the signal handlers set: Ctrl+C is graceful from now on
        notify_ready()


def notify_ready() -> None:
    """Send systemd's ``READY=1`` to ``$NOTIFY_SOCKET`` when there is one
    (the sd_notify protocol: one datagram; "@" starts an abstract address)."""
    address = os.environ.get("NOTIFY_SOCKET")
    if not address:
        return
    if address.startswith("@"):
        address = "\0" + address[1:]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as notify:
            notify.connect(address)
            notify.sendall(b"READY=1")
    except OSError as error:  # as sd_notify(3): the supervisor's problem, not a reason to stop
        logging.getLogger(__name__).warning("Could not tell %s that the worker is ready: %s", address, error)


def _log_to_stderr(level: int) -> None:
    """Show the consumer's messages (job started, finished, failed) on stderr:
    through the app's log handler (``app.ops.logs``) when it installed one,
    else a plain one of their own."""
    logger = logging.getLogger("huey")
    logger.setLevel(level)
    if any(getattr(handler, "_showcase", False) for handler in logging.getLogger().handlers):
        return
    if not any(getattr(handler, "_showcase_worker", False) for handler in logger.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("[%(asctime)s] %(levelname)s %(name)s: %(message)s"))
        handler._showcase_worker = True
        logger.addHandler(handler)
