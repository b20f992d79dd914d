"""A bare HTTP server that appends every POST body to a file (used by the end-to-end tests to
see exactly what a real sender, such as the LiteLLM proxy, posted).

Usage: python3 capture_posts.py PORT_FILE OUTPUT
Listens on a free loopback port and writes that port to PORT_FILE once it accepts.
"""
import http.server
import sys


class Capture(http.server.BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with open(sys.argv[2], "ab") as out:
            out.write(body if body.endswith(b"\n") else body + b"\n")
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


server = http.server.HTTPServer(("127.0.0.1", 0), Capture)
with open(sys.argv[1], "w") as f:
    f.write(str(server.server_port))
server.serve_forever()
