"""The tests' live server closes what it served when a client resets the
connection mid-response (Werkzeug's own may leave that to the collector)."""
import socket
import struct

from flask import Flask, send_file

from tests.live import served
from tests.processes import wait_until


def test_a_file_is_closed_by_the_server_when_the_client_resets_mid_response(tmp_path):
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(bytes(range(256)) * 400)  # more than one socket buffer's worth
    opened = []
    app = Flask(__name__)

    @app.get("/photo")
    def send_photo():
        opened.append(photo.open("rb"))
        return send_file(opened[-1], mimetype="image/jpeg")

    with served(app) as url:
        port = int(url.rsplit(":", 1)[1])
        # A reset races the server's last read of the socket: across forty
        # requests Werkzeug's own handler leaves most files open (the list
        # keeps them from the collector, which would close them with a warning).
        for attempt in range(40):
            with socket.create_connection(("127.0.0.1", port)) as client:
                client.sendall(b"GET /photo HTTP/1.1\r\nHost: test\r\n\r\n")
                if attempt % 2:
                    client.recv(100)
                client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        wait_until(lambda: len(opened) == 40 and all(file.closed for file in opened), "every served file closed")
