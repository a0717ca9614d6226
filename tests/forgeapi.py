"""A small stand-in for the GitHub and GitLab REST endpoints pgsweep lists repositories
with, on 127.0.0.1: scripted answers per path, and a record of every request."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Answer:
    status: int = 200
    body: Any = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class ForgeApi:
    """`answers[path_and_query]` is consumed in order; the last one repeats."""

    answers: dict[str, list[Answer]]
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    base: str = ""


@contextmanager
def forge_api(answers: dict[str, list[Answer]]) -> Iterator[ForgeApi]:
    api = ForgeApi(answers)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            api.requests.append((self.path, dict(self.headers.items())))
            queue = api.answers.get(self.path)
            if not queue:
                answer = Answer(404, {"message": "Not Found"})
            else:
                answer = queue.pop(0) if len(queue) > 1 else queue[0]
            body = json.dumps(answer.body).replace("{base}", api.base).encode()
            self.send_response(answer.status)
            self.send_header("Content-Type", "application/json")
            for k, v in answer.headers.items():
                self.send_header(k, v.replace("{base}", api.base))
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    api.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield api
    finally:
        server.shutdown()
        server.server_close()
