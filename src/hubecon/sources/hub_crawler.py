"""The live crawler: the Hub's public model listing (`GET /api/models`) into one snapshot (DESIGN.md §2, §5).

How it stays correct:

* Order. Pages are sorted by creation time (an immutable key), newest
  first, and followed through the server's `Link: <…>; rel="next"` cursor.
  A model created during the crawl sorts before the cursor and is not
  seen; every model that existed throughout is seen. Rows are keyed by Hub
  object id (`_id`, else `id`), so a model is never stored twice.
* Quota. Before every request the crawler consults what the server last
  said in its `RateLimit` header; when the window's remaining count is 0 it
  sleeps until the reset the server announced — never on a local timer.
  429, 5xx, timeouts, dropped connections and malformed pages are retried
  a bounded number of times with jittered exponential backoff;
  `Retry-After` is honoured. What the window has left is noted on disk
  before each request, so a crawler resumed after a kill honours what its
  predecessor spent.
* Checkpoints. After every page, its rows and then the crawl's state (the
  next cursor) are written atomically (temp + fsync + rename) under
  STORE/crawls/<crawl-id>/. A kill at any moment loses at most the page in
  flight; `--resume` refetches from the last saved cursor.
* One writer. The store's writer lock is held for the whole crawl, so a
  second ingest is refused at once.
* The token (HF_TOKEN) travels only in the Authorization header to the
  endpoint; it is redacted from every message and written nowhere.
"""

from __future__ import annotations

import email.utils
import gzip
import hashlib
import json
import os
import random
import re
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import httpx
import pandas as pd

from hubecon.errors import HubeconError
from hubecon.sources.models_table import models_batch
from hubecon.store.schema import SnapshotBatch
from hubecon.store.store import store_snapshot, writer_lock

PUBLIC_HUB = "https://huggingface.co"
EXPAND = (
    "author",
    "createdAt",
    "lastModified",
    "downloads",
    "downloadsAllTime",
    "likes",
    "trendingScore",
    "tags",
    "pipeline_tag",
    "library_name",
    "baseModels",
    "safetensors",
    "gguf",
    "cardData",
)
# Without these a listing cannot become a snapshot (models_batch needs the 30-day count).
REQUIRED_EXPAND = ("downloads",)
# Ask for more than any server gives; the server caps it and its `next` links keep its choice.
PAGE_SIZE_ASKED = 1000
RETRIED_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
# Added to the server's announced reset, so the next request cannot arrive a hair early.
RESET_MARGIN_SECONDS = 0.05

CRAWLS_FOLDER = "crawls"
STATE_FILE = "state.json"
RATE_FILE = "rate-limit.json"
# Test hook, for the tests that kill the crawler in the middle of a checkpoint
# write: seconds to sleep between writing a checkpoint's temporary file and
# renaming it into place. Unset in normal use.
PAUSE_IN_CHECKPOINT_ENV = "HUBECON_CRAWL_TEST_PAUSE_IN_CHECKPOINT"

RATE_LIMIT_VALUE = re.compile(r"\br\s*=\s*(\d+).*?\bt\s*=\s*(\d+)|\bt\s*=\s*(\d+).*?\br\s*=\s*(\d+)")
RATE_POLICY_VALUE = re.compile(r"\bq\s*=\s*(\d+).*?\bw\s*=\s*(\d+)")


class CrawlError(HubeconError):
    """The crawl cannot go on; what it fetched so far stays checkpointed for `--resume`."""


@dataclass(frozen=True)
class CrawlSettings:
    """How patient the crawler is: timeouts per request and the retry budget per page."""

    timeout: httpx.Timeout = field(default_factory=lambda: httpx.Timeout(60.0, connect=10.0))
    max_attempts: int = 8
    backoff_base: float = 0.5
    backoff_cap: float = 30.0


@dataclass
class CrawlStats:
    """What happened during a crawl, summed over every run of it (a resume continues the counts)."""

    pages: int = 0
    models: int = 0
    duplicates_skipped: int = 0
    requests: int = 0
    retries: int = 0
    waits: int = 0
    wait_seconds: float = 0.0
    resumes: int = 0
    rejected_expand: list[str] = field(default_factory=list)
    malformed_pages: list[dict] = field(default_factory=list)


@dataclass(frozen=True)
class CrawlProgress:
    """What a progress display shows; `waiting` is the length of the rate-limit wait now starting (else 0)."""

    pages: int
    models: int
    total: int | None
    retries: int
    waits: int
    waiting: float = 0.0
    phase: str = "fetching"


@dataclass(frozen=True)
class CrawlResult:
    snapshot_id: str
    crawl_id: str
    scope: str
    params: dict
    stats: CrawlStats
    rejected: pd.DataFrame  # rows the store would not take (row, field, problem, value)


ProgressCallback = Callable[[CrawlProgress], None]


# -- what the server says -------------------------------------------------------------------------


def parse_rate_limit(value: str | None) -> tuple[int, int] | None:
    """(remaining, seconds to reset) from `RateLimit: "api";r=<remaining>;t=<seconds>`."""
    match = RATE_LIMIT_VALUE.search(value or "")
    if not match:
        return None
    if match[1] is not None:
        return int(match[1]), int(match[2])
    return int(match[4]), int(match[3])


def parse_rate_policy(value: str | None) -> tuple[int, int] | None:
    """(quota, window seconds) from `RateLimit-Policy: "fixed window";"api";q=<quota>;w=<window>`."""
    match = RATE_POLICY_VALUE.search(value or "")
    return (int(match[1]), int(match[2])) if match else None


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from `Retry-After`: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


class RateLimiter:
    """The server's account of the quota: requests left in its window and when that window resets.

    The server's `t` is whole seconds, rounded up, so `received + t` is never
    before the true reset; the smallest such bound seen in a window is the
    tightest. Times are monotonic; `to_disk`/`from_disk` convert to wall
    time so a resumed crawl knows what its killed predecessor had spent.
    """

    def __init__(self) -> None:
        self.remaining: int | None = None
        self.reset_at: float | None = None
        self.policy: tuple[int, int] | None = None

    def observe(self, headers: httpx.Headers, received_at: float) -> None:
        self.policy = parse_rate_policy(headers.get("ratelimit-policy")) or self.policy
        limit = parse_rate_limit(headers.get("ratelimit"))
        if limit is None:
            return
        remaining, reset_in = limit
        reset_at = received_at + reset_in
        new_window = self.reset_at is None or received_at >= self.reset_at or (self.remaining is not None and remaining > self.remaining)
        self.reset_at = reset_at if new_window else min(self.reset_at, reset_at)
        self.remaining = remaining

    def delay(self, now: float) -> float:
        """Seconds to wait before the next request may go out."""
        if self.remaining is None or self.remaining > 0 or self.reset_at is None:
            return 0.0
        return max(0.0, self.reset_at - now + RESET_MARGIN_SECONDS)

    def spend_one(self) -> None:
        if self.remaining is not None:
            self.remaining -= 1

    def to_disk(self) -> dict:
        reset_wall = None if self.reset_at is None else time.time() + (self.reset_at - time.monotonic())
        return {"remaining": self.remaining, "reset_at": reset_wall}

    def restore(self, saved: dict) -> None:
        reset_wall, remaining = saved.get("reset_at"), saved.get("remaining")
        if isinstance(reset_wall, (int, float)) and isinstance(remaining, int) and reset_wall > time.time():
            self.remaining = remaining
            self.reset_at = time.monotonic() + (reset_wall - time.time())


# -- pages ------------------------------------------------------------------------------------------


class MalformedPage(Exception):
    """A 200 response whose body is not a list of model rows."""


@dataclass(frozen=True)
class Page:
    rows: list[dict]
    next_query: str | None
    total: int | None


class ExpandRejected(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


ROW_TYPES: dict[str, tuple[type, ...]] = {
    "_id": (str,),
    "author": (str,),
    "createdAt": (str,),
    "lastModified": (str,),
    "downloads": (int,),
    "downloadsAllTime": (int,),
    "likes": (int,),
    "trendingScore": (int, float),
    "tags": (list,),
    "pipeline_tag": (str,),
    "library_name": (str,),
    "baseModels": (dict, list),
    "safetensors": (dict,),
    "gguf": (dict, str),
    "cardData": (dict, str),
}


def check_page(body: bytes, expand: list[str]) -> list[dict]:
    """The rows of a page, or MalformedPage saying what is wrong (truncated JSON, wrong types, no id)."""
    try:
        rows = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise MalformedPage(f"not valid JSON ({type(exc).__name__} at byte {getattr(exc, 'pos', '?')} of {len(body)})") from None
    if not isinstance(rows, list):
        raise MalformedPage(f"a JSON {type(rows).__name__}, not a list of models")
    for number, row in enumerate(rows, start=1):
        if not isinstance(row, dict):
            raise MalformedPage(f"row {number} is a {type(row).__name__}, not an object")
        model_id = row.get("id")
        if not isinstance(model_id, str) or not model_id.strip():
            raise MalformedPage(f"row {number} has no 'id'")
        for name, types in ROW_TYPES.items():
            value = row.get(name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, types)):
                raise MalformedPage(f"row {number} ('{model_id}'): '{name}' is a {type(value).__name__}")
        for name in REQUIRED_EXPAND:
            if name in expand and row.get(name) is None:
                raise MalformedPage(f"row {number} ('{model_id}'): no '{name}'")
        if "tags" in row and not all(isinstance(tag, str) for tag in row["tags"] or []):
            raise MalformedPage(f"row {number} ('{model_id}'): 'tags' holds a non-string")
    return rows


def cursor_of(query: str) -> str:
    cursor = httpx.QueryParams(query).get("cursor")
    return f"cursor {cursor}" if cursor else "the first page"


def with_expand(query: str, expand: list[str], **overrides: str) -> str:
    """The same query with another `expand` list (and any parameter replaced)."""
    items = [(key, value) for key, value in httpx.QueryParams(query).multi_items() if key != "expand" and key not in overrides]
    items += [("expand", value) for value in expand] + list(overrides.items())
    return str(httpx.QueryParams(items))


class HubListing:
    """Pages of `GET /api/models` from one endpoint, within the server's quota, retried when they fail."""

    def __init__(
        self,
        endpoint: str,
        token: str | None,
        settings: CrawlSettings,
        stats: CrawlStats,
        rate_file: Path,
        notify: Callable[[float], None],
    ):
        self.endpoint = endpoint
        self.token = token
        self.settings = settings
        self.stats = stats
        self.rate_file = rate_file
        self.notify = notify
        self.limiter = RateLimiter()
        self.random = random.Random()
        headers = {"User-Agent": "hubecon-crawler", "Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self.client = httpx.Client(timeout=settings.timeout, headers=headers, follow_redirects=True)
        saved = read_json(rate_file) or {}
        if saved.get("endpoint") == endpoint:
            self.limiter.restore(saved)

    def close(self) -> None:
        self.client.close()

    def redact(self, text: str) -> str:
        return text.replace(self.token, "[HF_TOKEN]") if self.token else text

    def fetch(self, query: str, expand: list[str]) -> Page:
        """One page; retried on 429, 5xx, timeouts, dropped connections and malformed bodies."""
        problem = ""
        for attempt in range(1, self.settings.max_attempts + 1):
            if attempt > 1:
                self.stats.retries += 1
            try:
                response = self._send(query)
            except httpx.TransportError as exc:  # timeouts, refused or dropped connections, bodies cut short
                problem = f"{type(exc).__name__}: {self.redact(str(exc)) or 'no detail'}"
                self._back_off(attempt)
                continue
            status = response.status_code
            if status == 429:
                problem = "HTTP 429 Too Many Requests"
                self._wait_out_429(response, attempt)
                continue
            if status in RETRIED_STATUSES or status >= 500:
                problem = f"HTTP {status}"
                self._back_off(attempt)
                continue
            if status == 400:
                raise ExpandRejected(self._server_message(response))
            if status >= 300:
                raise CrawlError(f"{self.endpoint}/api/models answered HTTP {status} at {cursor_of(query)}: {self._server_message(response)}")
            try:
                rows = check_page(response.content, expand)
            except MalformedPage as exc:
                problem = f"malformed page: {exc}"
                self.stats.malformed_pages.append({"at": cursor_of(query), "problem": str(exc)})
                self._back_off(attempt)
                continue
            # Only the query of the `next` link is kept: every request goes to the
            # configured endpoint, so the token is never sent anywhere else.
            next_url = response.links.get("next", {}).get("url")
            total = response.headers.get("x-total-count", "")
            return Page(rows, httpx.URL(next_url).query.decode() if next_url else None, int(total) if total.isdigit() else None)
        raise CrawlError(
            f"{self.endpoint}/api/models failed {self.settings.max_attempts} times at {cursor_of(query)} (last: {problem}); "
            "the pages before it are checkpointed: run `hubecon ingest hub --resume` to continue"
        )

    def _send(self, query: str) -> httpx.Response:
        delay = self.limiter.delay(time.monotonic())
        if delay > 0:
            self.stats.waits += 1
            self.stats.wait_seconds += delay
            self.notify(delay)
            time.sleep(delay)
            self.notify(0.0)
        # Written before the request goes out, so a crawler killed right after
        # it still counts it against the window when it resumes.
        self.limiter.spend_one()
        # It only has to outlive this process, not a power cut: no fsync on every request.
        write_json(self.rate_file, {"endpoint": self.endpoint, **self.limiter.to_disk()}, durable=False)
        self.stats.requests += 1
        response = self.client.get(f"{self.endpoint}/api/models?{query}")
        self.limiter.observe(response.headers, time.monotonic())
        return response

    def _back_off(self, attempt: int) -> None:
        if attempt < self.settings.max_attempts:
            ceiling = min(self.settings.backoff_cap, self.settings.backoff_base * 2 ** (attempt - 1))
            time.sleep(ceiling * self.random.uniform(0.5, 1.0))

    def _wait_out_429(self, response: httpx.Response, attempt: int) -> None:
        if attempt >= self.settings.max_attempts:
            return
        told = parse_retry_after(response.headers.get("retry-after"))
        if told is None:
            told = self.limiter.delay(time.monotonic())
        if not told:
            self._back_off(attempt)
            return
        # Jitter only ever lengthens the wait the server asked for.
        wait = told + self.random.uniform(0.0, min(1.0, 0.1 * told))
        self.stats.waits += 1
        self.stats.wait_seconds += wait
        self.notify(wait)
        time.sleep(wait)
        self.notify(0.0)

    def _server_message(self, response: httpx.Response) -> str:
        # Redacted before it is cut short, so no fragment of the token survives the cut.
        text = self.redact(" ".join(response.text.split()))
        return (text[:300] + ("…" if len(text) > 300 else "")) or "(no message)"

    def negotiated(self, query: str, expand: list[str]) -> tuple[Page, str, list[str]]:
        """A page, having dropped any `expand` value the server rejects; returns (page, query, expand)."""
        try:
            return self.fetch(query, expand), query, expand
        except ExpandRejected as rejection:
            # Which value the server objects to is found by asking for each alone:
            # 400 messages are not a format to parse.
            rejected = []
            for value in expand:
                try:
                    self.fetch(with_expand(query, [value], limit="1"), [value])
                except ExpandRejected:
                    rejected.append(value)
            if not rejected or len(rejected) == len(expand):
                raise CrawlError(f"{self.endpoint}/api/models answered HTTP 400 at {cursor_of(query)}: {rejection.message}") from None
            needed = sorted(set(rejected) & set(REQUIRED_EXPAND))
            if needed:
                raise CrawlError(f"{self.endpoint}/api/models rejects expand={', '.join(needed)}, which a snapshot needs: {rejection.message}") from None
            self.stats.rejected_expand = sorted(set(self.stats.rejected_expand) | set(rejected))
            kept = [value for value in expand if value not in rejected]
            return self.negotiated(with_expand(query, kept), kept)


# -- checkpoints ------------------------------------------------------------------------------------


def write_atomically(path: Path, data: bytes, *, durable: bool = True) -> None:
    """temp + rename: the file is either the old one or the new one.

    `durable` adds the fsyncs (file, then folder) that make a checkpoint
    survive a power cut too, not only a killed process.
    """
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    with open(temporary, "wb") as handle:
        handle.write(data)
        if durable:
            handle.flush()
            os.fsync(handle.fileno())
    pause = os.environ.get(PAUSE_IN_CHECKPOINT_ENV)
    if pause and durable:
        time.sleep(float(pause))
    os.replace(temporary, path)
    if not durable:
        return
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def write_json(path: Path, value: dict, *, durable: bool = True) -> None:
    write_atomically(path, json.dumps(value, indent=1).encode(), durable=durable)


def read_json(path: Path) -> dict | None:
    if not path.exists():
        return None
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CrawlError(f"{path}: unreadable crawl checkpoint ({type(exc).__name__}); delete its folder to start afresh") from None
    return value if isinstance(value, dict) else None


def row_keys(row: dict) -> tuple[str | None, str]:
    return (row.get("_id") or None), row["id"]


class Crawl:
    """One crawl's checkpoint: STORE/crawls/<crawl-id>/state.json and pages/NNNNNN.jsonl.gz.

    A page file is written before the state that counts it, so a kill between
    the two leaves a page the state does not count: it is fetched again.
    """

    def __init__(self, folder: Path, state: dict):
        self.folder = folder
        self.state = state
        self.stats = CrawlStats(**state["stats"])
        self.seen_object_ids: set[str] = set()
        self.seen_model_ids: set[str] = set()
        for rows in self.pages():
            for row in rows:
                object_id, model_id = row_keys(row)
                self.seen_model_ids.add(model_id)
                if object_id:
                    self.seen_object_ids.add(object_id)

    @classmethod
    def start(cls, root: Path, *, endpoint: str, author: str | None, filters: list[str], limit: int | None) -> "Crawl":
        started = datetime.now(timezone.utc)
        # Sortable to the microsecond, so the latest unfinished crawl is the last in name order.
        crawl_id = f"{started:%Y%m%dT%H%M%S.%fZ}-{uuid.uuid4().hex[:6]}"
        params = [("sort", "createdAt"), ("direction", "-1"), ("limit", str(min(PAGE_SIZE_ASKED, limit or PAGE_SIZE_ASKED)))]
        params += [("expand", value) for value in EXPAND]
        params += ([("author", author)] if author else []) + [("filter", value) for value in filters]
        state = {
            "crawl_id": crawl_id,
            "endpoint": endpoint,
            "author": author,
            "filter": filters,
            "limit": limit,
            "scope": "filtered" if (author or filters or limit) else "full",
            "started_at": started.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "expand": list(EXPAND),
            "pages": 0,
            "next_query": str(httpx.QueryParams(params)),
            "done": False,
            "snapshot_id": None,
            "stats": asdict(CrawlStats()),
        }
        folder = root / CRAWLS_FOLDER / crawl_id
        (folder / "pages").mkdir(parents=True)
        crawl = cls(folder, state)
        crawl.save_state()
        return crawl

    @classmethod
    def latest_unfinished(cls, root: Path) -> "Crawl | None":
        crawls = root / CRAWLS_FOLDER
        candidates = sorted(crawls.iterdir(), reverse=True) if crawls.exists() else []
        for folder in candidates:
            state = read_json(folder / STATE_FILE) if folder.is_dir() else None
            if state and not state.get("snapshot_id"):
                return cls(folder, state)
        return None

    @property
    def models(self) -> int:
        return len(self.seen_model_ids)

    def page_file(self, number: int) -> Path:
        return self.folder / "pages" / f"{number:06d}.jsonl.gz"

    def pages(self) -> Iterator[list[dict]]:
        for number in range(self.state["pages"]):
            path = self.page_file(number)
            try:
                lines = gzip.decompress(path.read_bytes()).splitlines()
            except (OSError, EOFError, gzip.BadGzipFile) as exc:
                raise CrawlError(f"{path}: damaged crawl checkpoint ({type(exc).__name__}); delete {self.folder} to start afresh") from None
            yield [json.loads(line) for line in lines]

    def new_rows(self, rows: list[dict], room: int | None) -> list[dict]:
        """Up to `room` rows not seen before, keyed by object id (a renamed repo stays one model), else by id."""
        fresh = []
        for row in rows:
            if room is not None and len(fresh) >= room:
                break
            object_id, model_id = row_keys(row)
            if model_id in self.seen_model_ids or (object_id and object_id in self.seen_object_ids):
                self.stats.duplicates_skipped += 1
                continue
            self.seen_model_ids.add(model_id)
            if object_id:
                self.seen_object_ids.add(object_id)
            fresh.append(row)
        return fresh

    def save_page(self, rows: list[dict], next_query: str | None) -> None:
        payload = b"".join(json.dumps(row, ensure_ascii=False, sort_keys=True).encode() + b"\n" for row in rows)
        write_atomically(self.page_file(self.state["pages"]), gzip.compress(payload, compresslevel=5))
        self.stats.pages += 1
        self.stats.models = self.models
        self.state.update(pages=self.state["pages"] + 1, next_query=next_query, done=next_query is None)
        self.save_state()

    def save_state(self) -> None:
        self.state["stats"] = asdict(self.stats)
        write_json(self.folder / STATE_FILE, self.state)

    def finish(self, snapshot_id: str) -> None:
        """Record the snapshot, then drop the page files: the snapshot holds their rows now."""
        self.state.update(snapshot_id=snapshot_id, finished_at=datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))
        self.save_state()
        shutil.rmtree(self.folder / "pages", ignore_errors=True)


# -- the crawl --------------------------------------------------------------------------------------


def remove_stale_temporaries(crawls: Path) -> None:
    """Temporary files a killed crawler left mid-write; only the lock holder writes here, so none is live."""
    for pattern in (".*.tmp", "*/.*.tmp", "*/pages/.*.tmp"):
        for path in crawls.glob(pattern):
            path.unlink(missing_ok=True)


def resolve_endpoint(endpoint: str | None) -> str:
    chosen = (endpoint or os.environ.get("HF_ENDPOINT") or PUBLIC_HUB).strip().rstrip("/")
    url = httpx.URL(chosen)
    if url.scheme not in ("http", "https") or not url.host:
        raise HubeconError(f"--endpoint: '{chosen}' is not an http(s) URL")
    if url.userinfo:
        raise HubeconError("--endpoint: give the token in HF_TOKEN, not in the URL")
    return chosen


def choose_crawl(root: Path, *, endpoint: str | None, author: str | None, filters: list[str], limit: int | None, resume: bool) -> Crawl:
    """The unfinished crawl to continue (with --resume, if there is one), else a new one."""
    if resume:
        crawl = Crawl.latest_unfinished(root)
        if crawl is not None:
            state = crawl.state
            given = {"--endpoint": (endpoint and resolve_endpoint(endpoint), state["endpoint"]), "--author": (author, state["author"])}
            given |= {"--filter": (filters or None, state["filter"] or None), "--limit": (limit, state["limit"])}
            conflicts = [name for name, (asked, saved) in given.items() if asked is not None and asked != saved]
            if conflicts:
                raise HubeconError(
                    f"--resume: the unfinished crawl {state['crawl_id']} was started with other {', '.join(conflicts)} "
                    f"({', '.join(f'{name} {given[name][1]}' for name in conflicts)}); resume it without them, or start a new crawl without --resume"
                )
            crawl.stats.resumes += 1
            return crawl
    return Crawl.start(root, endpoint=resolve_endpoint(endpoint), author=author, filters=filters, limit=limit)


def crawl_hub(
    root: Path | str,
    *,
    endpoint: str | None = None,
    author: str | None = None,
    filters: tuple[str, ...] | list[str] = (),
    limit: int | None = None,
    resume: bool = False,
    progress: ProgressCallback | None = None,
    settings: CrawlSettings | None = None,
) -> CrawlResult:
    """Crawl the listing into one new snapshot of the store at `root`, holding its writer lock throughout."""
    if limit is not None and limit < 1:
        raise HubeconError(f"--limit: must be at least 1, not {limit}")
    root = Path(root)
    token = os.environ.get("HF_TOKEN") or None
    with writer_lock(root):
        remove_stale_temporaries(root / CRAWLS_FOLDER)
        crawl = choose_crawl(root, endpoint=endpoint, author=author, filters=list(filters), limit=limit, resume=resume)
        state, stats = crawl.state, crawl.stats
        total: int | None = state["limit"]

        def report(waiting: float = 0.0, phase: str = "fetching") -> None:
            if progress is not None:
                progress(CrawlProgress(stats.pages, crawl.models, total, stats.retries, stats.waits, waiting, phase))

        report()
        listing = HubListing(state["endpoint"], token, settings or CrawlSettings(), stats, root / CRAWLS_FOLDER / RATE_FILE, report)
        try:
            while not state["done"]:
                page, query, expand = listing.negotiated(state["next_query"], state["expand"])
                state.update(next_query=query, expand=expand)
                if total is None and page.total is not None:
                    total = page.total
                room = None if state["limit"] is None else state["limit"] - crawl.models
                rows = crawl.new_rows(page.rows, room)
                full = state["limit"] is not None and crawl.models >= state["limit"]
                crawl.save_page(rows, None if full else page.next_query)
                report()
        except BaseException:
            # Between pages the state is consistent; keep the counts (retries, malformed pages) of the failed page.
            crawl.save_state()
            raise
        finally:
            listing.close()
        report(phase="storing")
        batch = crawl_batch(crawl)
        # A store that already holds this crawl (killed after storing it) gives its id back.
        store_snapshot(root, batch)
        crawl.finish(batch.snapshot_id)
        return CrawlResult(batch.snapshot_id, state["crawl_id"], state["scope"], batch.params, stats, batch.rejected)


def crawl_batch(crawl: Crawl) -> SnapshotBatch:
    """The crawl's rows as one snapshot."""
    state = crawl.state
    rows = [row for page in crawl.pages() for row in page]
    if not rows:
        raise CrawlError(f"{state['endpoint']}/api/models listed no models for this crawl ({crawl_description(state)}); nothing stored")
    # The crawl's identity and rows: each crawl is its own observation, and a
    # resumed crawl that was stored just before a kill is recognised.
    digest = hashlib.sha256(f"{state['endpoint']} {state['started_at']}\n".encode())
    for row in rows:
        digest.update(json.dumps(row, ensure_ascii=False, sort_keys=True).encode() + b"\n")
    frame = pd.DataFrame.from_records(rows, columns=["id", "_id", *state["expand"]])
    taken_at = pd.Timestamp(state["started_at"])
    params = {
        "endpoint": state["endpoint"],
        "author": state["author"],
        "filter": state["filter"],
        "limit": state["limit"],
        "sort": "createdAt",
        "direction": -1,
        "expand": state["expand"],
        "rejected_expand": crawl.stats.rejected_expand,
        "crawl_id": state["crawl_id"],
        "started_at": state["started_at"],
    }
    return models_batch(
        frame,
        origin=f"{state['endpoint']}/api/models",
        taken_at=taken_at,
        scope=state["scope"],
        source=f"hub-api:{state['endpoint']}",
        params=params,
        sha256=digest.hexdigest(),
    )


def crawl_description(state: dict) -> str:
    parts = [f"author={state['author']}"] if state["author"] else []
    parts += [f"filter={value}" for value in state["filter"]]
    return ", ".join(parts) or "the whole listing"

