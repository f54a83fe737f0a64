"""A Hub-like `GET /api/models` on 127.0.0.1, for the crawler's tests and benchmark.

It serves a deterministic generated catalogue sorted by creation time with
cursor pagination (`Link: <…>; rel="next"`), caps the page size below what
is asked, keeps a fixed-window quota with `RateLimit` / `RateLimit-Policy`
headers (every request counts, as on the Hub; one beyond the quota gets
429), rejects unknown `expand` values with 400, can add models while a
crawl runs, and injects faults on demand: 429 bursts, 500/503, connections
dropped mid-body, truncated JSON, wrong types, a row without `id`, slow and
stalled responses, and a 401 that echoes the Authorization header (to prove
the crawler redacts it). Every request is logged so that tests judge the
crawler by the server's own record.
"""

from __future__ import annotations

import base64
import json
import math
import random
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

# What the real Hub accepts (reference/hub_api.md §2.2).
HUB_EXPAND = frozenset(
    "author baseModels cardData childrenModelCount config createdAt disabled downloads downloadsAllTime evalResults gated gguf inference "
    "inferenceProviderMapping lastModified library_name likes mask_token model-index pipeline_tag private resourceGroup safetensors sha "
    "siblings spaces tags transformersInfo trendingScore usedStorage widgetData".split()
)
DEFAULT_FIELDS = ("author", "createdAt", "downloads", "likes", "tags", "pipeline_tag", "library_name")
PLACEHOLDER_CREATED = "2022-03-02T23:29:04.000Z"

NAMESPACES = [f"org{k:02d}" for k in range(40)] + ["Qwen", "meta-llama", "TheBloke", "unsloth", "bartowski", "user-ü", "a_b"]
PIPELINES = ["text-generation", "image-text-to-text", "text-to-image", "feature-extraction", "automatic-speech-recognition", None]
LIBRARIES = ["transformers", "diffusers", "gguf", "sentence-transformers", "mlx", None]


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def generate_catalogue(n: int, seed: int = 7) -> list[dict]:
    """`n` Hub-like model rows, the same for the same seed: ties in createdAt, the 2022 placeholder, lineage, cards, GGUF."""
    rng = random.Random(seed)
    rows: list[dict] = []
    moment = datetime(2023, 1, 1, tzinfo=timezone.utc)
    for number in range(n):
        namespace = rng.choice(NAMESPACES)
        quantized = rows and rng.random() < 0.15
        name = f"model-{number}" + ("-GGUF" if quantized else "")
        if rng.random() < 0.05:
            created = PLACEHOLDER_CREATED
        else:
            # Some models share a creation time to the millisecond: the cursor must break ties by _id.
            moment += timedelta(seconds=0 if rng.random() < 0.1 else rng.randint(1, 5000))
            created = iso(moment)
        downloads = rng.randint(0, 100_000)
        row = {
            "_id": f"{rng.getrandbits(96):024x}",
            "id": f"{namespace}/{name}",
            "author": namespace,
            "createdAt": created,
            "lastModified": iso(moment + timedelta(days=rng.randint(0, 60))),
            "downloads": downloads,
            "downloadsAllTime": downloads + rng.randint(0, 1_000_000),
            "likes": rng.randint(0, 500),
            "trendingScore": rng.choice([0, rng.randint(1, 90), round(rng.random() * 10, 3)]),
            "tags": ["license:apache-2.0" if rng.random() < 0.5 else "license:mit", "en"],
            "pipeline_tag": rng.choice(PIPELINES),
            "library_name": "gguf" if quantized else rng.choice(LIBRARIES),
        }
        if rows and rng.random() < 0.35:
            parent = rng.choice(rows)
            relation = "quantized" if quantized else rng.choice(["finetune", "adapter", "merge"])
            row["baseModels"] = {"relation": relation, "models": [{"_id": parent["_id"], "id": parent["id"]}]}
            row["tags"] += [f"base_model:{parent['id']}", f"base_model:{relation}:{parent['id']}"]
            row["cardData"] = {"base_model": parent["id"], "license": "mit", "language": ["en"], "note": "<b>untrusted</b> | text"}
        if quantized:
            row["tags"].append("gguf")
            row["gguf"] = {"total": rng.randint(10**8, 10**11), "architecture": "llama", "context_length": 4096}
        elif rng.random() < 0.4:
            total = rng.randint(10**6, 10**11)
            row["safetensors"] = {"parameters": {"BF16": total}, "total": total}
        rows.append(row)
    return rows


def sort_key(row: dict) -> tuple[str, str]:
    return row["createdAt"], row["_id"]


def encode_cursor(row: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(sort_key(row))).encode()).decode()


def decode_cursor(cursor: str) -> tuple[str, str]:
    created, object_id = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    return created, object_id


@dataclass
class LoggedRequest:
    number: int
    at: float  # server monotonic clock, when the request was counted
    window: int
    status: int
    fault: str | None
    over_quota: bool
    authorization: str | None
    target: str


@dataclass
class HubServer:
    """The fake Hub; use as a context manager. Faults: `faults[n]` hits the n-th request (1-based); `standing_fault` hits all."""

    catalogue: list[dict]
    page_cap: int = 100
    quota: int = 50
    window: int = 2  # seconds
    known_expand: frozenset = HUB_EXPAND
    delay: float = 0.0
    slow_seconds: float = 0.3
    stall_seconds: float = 3.0
    injected_retry_after: int = 1
    grow_every: int = 0  # add `grow_by` new models after every this many requests (0: never)
    grow_by: int = 5
    faults: dict[int, str] = field(default_factory=dict)
    standing_fault: str | None = None
    log: list[LoggedRequest] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.models = sorted((dict(row) for row in self.catalogue), key=sort_key, reverse=True)
        self.added: list[dict] = []
        self.lock = threading.Lock()
        self.counts: dict[int, int] = {}
        self.started = time.monotonic()
        self.growth = random.Random(99)

    # -- lifecycle ----------------------------------------------------------------------------

    def __enter__(self) -> "HubServer":
        server = self

        class Handler(HubHandler):
            hub = server

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()
        self.started = time.monotonic()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    # -- the catalogue --------------------------------------------------------------------------

    def add_models(self, count: int) -> None:
        """New models, created now: newer than every model there is, as on the Hub."""
        with self.lock:
            newest = max(datetime.fromisoformat(row["createdAt"].replace("Z", "+00:00")) for row in self.models)
            for number in range(count):
                created = newest + timedelta(seconds=number + 1)
                row = {
                    "_id": f"{self.growth.getrandbits(96):024x}",
                    "id": f"new-org/added-{len(self.added)}",
                    "author": "new-org",
                    "createdAt": iso(created),
                    "lastModified": iso(created),
                    "downloads": 0,
                    "downloadsAllTime": 0,
                    "likes": 0,
                    "trendingScore": 0,
                    "tags": [],
                    "pipeline_tag": None,
                    "library_name": None,
                }
                self.added.append(row)
                self.models.append(row)
            self.models.sort(key=sort_key, reverse=True)

    # -- the quota, as the server counts it -------------------------------------------------------

    def count_request(self, authorization: str | None, target: str) -> tuple[LoggedRequest, int, float]:
        """Count a request in its fixed window; returns its log entry (with any fault due), the remaining quota and seconds to reset."""
        with self.lock:
            now = time.monotonic()
            window = int((now - self.started) // self.window)
            self.counts[window] = self.counts.get(window, 0) + 1
            used = self.counts[window]
            number = len(self.log) + 1
            fault = self.faults.get(number) or self.standing_fault
            entry = LoggedRequest(number, now, window, 200, fault, used > self.quota, authorization, target)
            self.log.append(entry)
            reset_in = self.started + (window + 1) * self.window - now
            return entry, max(0, self.quota - used), reset_in

    def most_in_any_window(self) -> int:
        with self.lock:
            return max(self.counts.values(), default=0)

    # -- the listing ----------------------------------------------------------------------------

    def page(self, query: dict[str, list[str]]) -> tuple[int, object, dict[str, str]]:
        """(status, JSON body, extra headers) for one `/api/models` query."""
        expand = query.get("expand", []) + query.get("expand[]", [])
        unknown = [value for value in expand if value not in self.known_expand]
        if unknown:
            return 400, {"error": f'"expand" must be one of the supported properties; got "{unknown[0]}"'}, {}
        if query.get("sort", ["createdAt"])[0] != "createdAt":
            return 400, {"error": "this fake Hub sorts by createdAt only"}, {}
        descending = query.get("direction", ["-1"])[0] != "1"
        try:
            asked = int(query.get("limit", ["1000"])[0])
            after = decode_cursor(query["cursor"][0]) if "cursor" in query else None
        except (ValueError, TypeError):
            return 400, {"error": "bad limit or cursor"}, {}
        size = max(1, min(asked, self.page_cap))
        authors = query.get("author", [])
        tags = query.get("filter", [])
        with self.lock:
            listing = self.models if descending else self.models[::-1]
            chosen = [row for row in listing if (not authors or row["author"] == authors[0]) and all(tag in row["tags"] for tag in tags)]
        total = len(chosen)
        if after is not None:
            chosen = [row for row in chosen if (sort_key(row) < after if descending else sort_key(row) > after)]
        page, more = chosen[:size], len(chosen) > size
        fields = expand or DEFAULT_FIELDS
        body = [{"_id": row["_id"], "id": row["id"], **{name: row[name] for name in fields if name in row}} for row in page]
        headers = {"X-Total-Count": str(total)}
        if more:
            next_query = {key: values for key, values in query.items() if key != "cursor"}
            next_query["cursor"] = [encode_cursor(page[-1])]
            headers["Link"] = f'<{self.url}/api/models?{urlencode(next_query, doseq=True)}>; rel="next"'
        return 200, body, headers

    def grow_after(self, number: int) -> None:
        if self.grow_every and number % self.grow_every == 0:
            self.add_models(self.grow_by)


class HubHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    hub: HubServer

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the server's log is `hub.log`
        pass

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        hub = self.hub
        parts = urlsplit(self.path)
        if parts.path != "/api/models":
            self.respond(404, {"error": "not found"}, {})
            return
        entry, remaining, reset_in = hub.count_request(self.headers.get("Authorization"), self.path)
        fault = entry.fault
        limits = {
            "RateLimit": f'"api";r={remaining};t={max(1, math.ceil(reset_in))}',
            "RateLimit-Policy": f'"fixed window";"api";q={hub.quota};w={hub.window}',
        }
        if hub.delay:
            time.sleep(hub.delay)
        if entry.over_quota:
            entry.status = 429
            self.respond(429, {"error": "rate limited"}, {**limits, "Retry-After": str(max(1, math.ceil(reset_in)))})
            return
        if fault == "429":
            entry.status = 429
            self.respond(429, {"error": "slow down"}, {**limits, "Retry-After": str(hub.injected_retry_after)})
            return
        if fault in ("500", "503"):
            entry.status = int(fault)
            self.respond(int(fault), {"error": "server trouble"}, limits)
            return
        if fault == "401":
            entry.status = 401
            self.respond(401, {"error": f"invalid credentials: {self.headers.get('Authorization')}"}, limits)
            return
        if fault == "slow":
            time.sleep(hub.slow_seconds)
        if fault == "stall":
            time.sleep(hub.stall_seconds)
        status, body, headers = hub.page(parse_qs(parts.query, keep_blank_values=True))
        entry.status = status
        if status == 200 and fault == "wrong_types" and body:
            body[0]["downloads"] = "many"
        if status == 200 and fault == "missing_id" and body:
            del body[0]["id"]
        payload = json.dumps(body).encode()
        if status == 200 and fault == "truncated":
            payload = payload[: len(payload) // 2]
        if status == 200 and fault == "drop":
            self.send_response(200)
            for name, value in {**limits, **headers, "Content-Type": "application/json", "Content-Length": str(len(payload))}.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload[: len(payload) // 2])
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
            hub.grow_after(entry.number)
            return
        self.respond(status, payload, {**limits, **headers})
        hub.grow_after(entry.number)

    def respond(self, status: int, body: object, headers: dict[str, str]) -> None:
        payload = body if isinstance(body, bytes) else json.dumps(body).encode()
        try:
            self.send_response(status)
            for name, value in {**headers, "Content-Type": "application/json", "Content-Length": str(len(payload))}.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            # The client gave up (a stalled response it timed out on).
            self.close_connection = True
