"""The app served over HTTP in a thread of the test process (Werkzeug's
server), for the tests that drive it through a real socket or browser."""
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from werkzeug.serving import WSGIRequestHandler, make_server

#: Where :func:`_keeping_response` leaves the app's response in the environ.
RESPONSE = "tests.live.response"


class _ClosingRequestHandler(WSGIRequestHandler):
    """Werkzeug's handler, closing the response when the client goes away.

    When a browser resets a connection mid-response (it navigated on while a
    photo was sent), Werkzeug's server may stop at its final read of the
    socket before it calls the response's ``close()``: the served file is
    then only closed when collected, with a ``ResourceWarning`` that fails
    the test that happened to run. Gunicorn always closes it.
    """

    def connection_dropped(self, error: BaseException, environ=None) -> None:
        response = environ.get(RESPONSE) if environ else None
        if response is not None and hasattr(response, "close"):
            response.close()  # a second close() is harmless, should the server have made it


def _keeping_response(app):
    def serve(environ, start_response):
        response = environ[RESPONSE] = app(environ, start_response)
        return response

    return serve


@contextmanager
def served(app) -> Iterator[str]:
    """Serve ``app`` on a free local port until the block ends; yields its base URL."""
    server = make_server("127.0.0.1", 0, _keeping_response(app), threaded=True, request_handler=_ClosingRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()  # serve_forever closes the listening socket as it ends
