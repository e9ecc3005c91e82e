"""`insights serve`: a small local web app where reps submit standout calls and anyone browses the weekly reports.

One process, one writer. Submissions run one at a time on a single worker thread that owns the SQLite connection
(and, when the app loads the models itself, their embedding cache): that thread is the write lock, and the event
loop keeps serving pages while a call is analysed. Uploads are written under generated names; the client's file
name is only ever shown, never used as a path.
"""
from __future__ import annotations

import asyncio
import hmac
import unicodedata
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, AsyncIterator, Sequence
from urllib.parse import urlsplit

import jinja2
from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import Message, Receive

from insights.config import PipelineConfig, load_pipeline
from insights.errors import InsightsError
from insights.extract import Models
from insights.parse.decode import decode, sniff_binary
from insights.parse.metadata import OUTCOMES
from insights.personas import load_catalogue
from insights.records import clock
from insights.report import KIND_LABELS, week_bounds
from insights.run import iso_week
from insights.submit import Feedback

# What the form accepts: the transcript exports the parsers read (see `insights formats`).
ALLOWED_EXTENSIONS = (".txt", ".vtt", ".srt", ".sbv", ".json", ".docx", ".html", ".htm", ".md")
FORM_OVERHEAD = 64 * 1024           # room for the text fields and multipart boundaries around the file
LOCAL_HOSTS = ("127.0.0.1", "localhost")
TOKEN_HEADER = "x-insights-token"   # scripts may send the token as a header instead of a form field
_ZIP_MAGIC = b"PK\x03\x04"
_TEMPLATES = Path(__file__).parent / "templates" / "web"

# Our own pages load nothing from anywhere: no scripts at all, inline styles only, forms post back here.
_PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
                               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    # not "no-referrer": with it, browsers post forms with `Origin: null` and the same-origin check refuses them
    "Referrer-Policy": "same-origin",
}


class Refused(Exception):
    """A request the app turns down with a status and a page saying why and what to do."""

    def __init__(self, status: int, title: str, message: str, hint: str = "", code: str = ""):
        super().__init__(message)
        self.status, self.title, self.message, self.hint, self.code = status, title, message, hint, code


class BodyTooLarge(Exception):
    """Raised from inside the body stream as soon as more bytes arrive than an upload may have."""


# --- pure helpers ------------------------------------------------------------------------------------------------

def upload_extension(filename: str) -> str | None:
    """The allowed extension of an uploaded file's name (lower case), or None when it is not a transcript type."""
    suffix = Path(filename.replace("\\", "/")).suffix.lower()
    return suffix if suffix in ALLOWED_EXTENSIONS else None


def display_name(filename: str, limit: int = 120) -> str:
    """The client's file name reduced to something safe to show and to label a source with: the last path
    component, without control characters, at most ``limit`` characters. Never used as a path."""
    base = filename.replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C").strip()
    return base[:limit] or "upload"


def check_content(ext: str, head: bytes) -> None:
    """Refuse a file whose content does not match its extension: a .docx must be a ZIP (OOXML) package, every
    other type must be text. Raises Refused(415) with the parser's own error code for binary files."""
    if ext == ".docx":
        if not head.startswith(_ZIP_MAGIC):
            raise Refused(415, "Not a Word document",
                          "the file is named .docx but is not a Word document (no OOXML package inside)",
                          "export the transcript again from the tool that made it, or upload it as .txt")
        return
    what = "a ZIP archive or Word document" if head.startswith(_ZIP_MAGIC) else sniff_binary(head)
    if what is None:
        try:
            decode(head)
        except InsightsError as err:
            raise Refused(415, "Not a text transcript", err.message, err.hint, err.code)
        return
    err = InsightsError.make("E103", what)
    raise Refused(415, "Not a text transcript", f"the file is named {ext} but {err.message}", err.hint, err.code)


def safe_join(root: Path, relative: str) -> Path | None:
    """``root / relative`` when it stays inside ``root`` (no ``..``, no hidden parts, no symlink leading out),
    else None."""
    parts = [p for p in relative.replace("\\", "/").split("/") if p]
    if any(p in (".", "..") or p.startswith(".") or "\x00" in p for p in parts):
        return None
    base = root.resolve()
    target = base.joinpath(*parts).resolve() if parts else base
    return target if target == base or target.is_relative_to(base) else None


def report_weeks(reports_dir: Path) -> list[str]:
    """The report folders ``insights run`` wrote (those with an index.html), newest first by the period's end."""
    if not reports_dir.is_dir():
        return []

    def end(name: str) -> str:
        try:
            return week_bounds(name)[1]
        except (InsightsError, ValueError):
            return ""

    weeks = [d.name for d in reports_dir.iterdir()
             if d.is_dir() and not d.name.startswith(".") and (d / "index.html").is_file()]
    return sorted(weeks, key=lambda w: (end(w), w), reverse=True)


def report_pages(week_dir: Path, persona_names: dict[str, str]) -> list[dict[str, str]]:
    """The pages of one week's report worth linking: the report itself, then each persona brief."""
    pages = [{"href": "index.html", "label": "Weekly report"}]
    if (week_dir / "report.md").is_file():
        pages.append({"href": "report.md", "label": "Weekly report (Markdown)"})
    for f in sorted(week_dir.glob("persona-*.html")):
        key = f.stem.removeprefix("persona-")
        pages.append({"href": f.name, "label": f"Brief: {persona_names.get(key, key)}"})
    return pages


def human_bytes(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB" if n >= 1024 * 1024 else f"{n / 1024:.0f} KB"


def feedback_view(fb: Feedback, rep: str, original: str, per_kind: int = 3) -> dict[str, Any]:
    """What the feedback page shows, the same facts `insights submit` prints: the call, the buyer persona and the
    top insights of each kind with quote, time, speaker and the rep's reply."""
    t = fb.transcript
    personas = []
    for p in fb.personas:
        who = t.speaker(p.speaker).display if p.speaker and t.speaker(p.speaker) else "the buyer side"
        personas.append({"who": who, "persona": fb.persona_names.get(p.persona, p.persona), "key": p.persona,
                         "method": p.method, "evidence": p.evidence[:160]})
    kinds = []
    for kind, label in KIND_LABELS.items():
        quotes = [{"when": clock(i.start), "speaker": i.speaker_name or "unknown speaker", "quote": i.quote,
                   "reply": (i.response or "")[:200], "confidence": f"{i.confidence:.2f}"}
                  for i in fb.top(kind, per_kind)]
        kinds.append({"kind": kind, "label": label, "count": sum(i.kind == kind for i in fb.insights),
                      "quotes": quotes})
    return {"rep": rep, "file": original, "title": t.title, "date": t.date, "id": t.id[:10],
            "week": iso_week(t.date), "existing": fb.status == "existing", "personas": personas, "kinds": kinds}


# --- the single writer -------------------------------------------------------------------------------------------

@dataclass
class SubmitFields:
    rep: str
    why: str
    outcome: str | None
    account: str | None
    buyer_title: str | None
    original: str            # display name of the client's file


class Writer:
    """Owns the store and the models on one worker thread: every submission goes through it, one at a time."""

    def __init__(self, db_path: str, config: PipelineConfig, models: Models | None):
        self.db_path, self.config, self.models = db_path, config, models
        self.executor: ThreadPoolExecutor | None = None
        self.store = None
        self._own_cache = None

    def _open(self) -> None:
        from insights.nlp import Embedder
        from insights.store import Store

        self.store = Store(self.db_path)
        if self.models is None:     # loaded once, with the store's embedding cache as `insights submit` does
            self._own_cache = self.store.embedding_cache()
            self.models = Models.load(Embedder(cache=self._own_cache))

    def _close(self) -> None:
        if self._own_cache is not None:
            self._own_cache.flush()
        if self.store is not None:
            self.store.close()

    async def start(self) -> None:
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="insights-writer")
        await self._run(self._open)

    async def stop(self) -> None:
        if self.executor is not None:
            await self._run(self._close)
            self.executor.shutdown(wait=True)
            self.executor = None

    async def _run(self, fn, *args):
        if self.executor is None:
            raise RuntimeError("the app was not started (use it as an ASGI app with lifespan, or `with TestClient`)")
        return await asyncio.get_running_loop().run_in_executor(self.executor, fn, *args)

    async def submit(self, path: Path, f: SubmitFields) -> Feedback:
        """Store and analyse one saved upload. Raises Duplicate (with the earlier submission) or InsightsError."""
        return await self._run(self._submit, path, f)

    def _submit(self, path: Path, f: SubmitFields) -> Feedback:
        from insights.submit import submit_file

        from insights.run import lock_timeout

        try:
            with self.store.exclusive("insights serve (an upload)", timeout=lock_timeout(120.0)):
                return submit_file(path, self.store, self.models, self.config, rep=f.rep, why=f.why,
                                   account=f.account, outcome=f.outcome, buyer_title=f.buyer_title, channel="web",
                                   source=f"upload:{f.original}")
        except InsightsError as err:
            if err.code == "E404":
                raise Duplicate(err, self._earlier(path)) from err
            raise
        finally:
            # The upload stays only while the store points at it: not after a refusal, nor when the same content
            # had been ingested from another file before.
            if not self._is_source(path):
                path.unlink(missing_ok=True)
            if self._own_cache is not None:
                self._own_cache.flush()

    def _is_source(self, path: Path) -> bool:
        try:
            self.store.get(str(path))
        except InsightsError:
            return False
        return True

    def _earlier(self, path: Path) -> dict[str, Any] | None:
        """The earlier submission of the same content, with its call's title and date (for the 409 page)."""
        from insights.parse import content_id

        tid = content_id(path.read_bytes())
        sub = self.store.submission(tid)
        if sub is None:
            return None
        t = self.store.get(tid)
        return {**sub, "title": t.title, "date": t.date, "week": iso_week(t.date), "id": tid[:10],
                "submitted": sub["submitted_at"][:16].replace("T", " ")}


class Duplicate(Exception):
    """The call was submitted before (E404): the error and the earlier submission, for the 409 page."""

    def __init__(self, error: InsightsError, earlier: dict[str, Any] | None):
        super().__init__(str(error))
        self.error, self.earlier = error, earlier


# --- the app -----------------------------------------------------------------------------------------------------

def _environment() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(_TEMPLATES)), autoescape=True,
                              undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def create_app(db_path: str | Path, pipeline_path: str | Path | None = None, *, token: str | None = None,
               max_upload_bytes: int = 5 * 1024 * 1024, reports_dir: str | Path = "reports",
               upload_dir: str | Path | None = None, models: Models | None = None,
               allowed_hosts: Sequence[str] = LOCAL_HOSTS) -> Starlette:
    """The web app. Models are loaded once at startup unless given (tests pass theirs); ``allowed_hosts`` are the
    Host names answered (loopback by default, which also defeats DNS rebinding); ``["*"]`` answers any."""
    config = load_pipeline(pipeline_path)
    persona_names = {p.key: p.name for p in load_catalogue(config.catalogue)}
    db = str(db_path)
    uploads = Path(upload_dir) if upload_dir else (Path(db).parent if db != ":memory:" else Path(".")) / "uploads"
    reports = Path(reports_dir)
    writer = Writer(db, config, models)
    env = _environment()
    token = token or None
    limits = {"max_mb": f"{max_upload_bytes / 1024 / 1024:g}", "extensions": ", ".join(ALLOWED_EXTENSIONS)}

    def page(name: str, status: int = 200, **context: Any) -> HTMLResponse:
        html = env.get_template(name).render(token_required=token is not None, limits=limits, **context)
        return HTMLResponse(html, status_code=status, headers=_PAGE_HEADERS)

    def refused(r: Refused) -> HTMLResponse:
        return page("error.html.j2", r.status, title=r.title, code=r.code, message=r.message, hint=r.hint,
                    where="", earlier=None)

    def latest_reports(n: int = 4) -> list[dict[str, Any]]:
        return [{"week": w, "pages": report_pages(reports / w, persona_names)} for w in report_weeks(reports)[:n]]

    async def index(request: Request) -> Response:
        return page("index.html.j2", reports=latest_reports(), outcomes=OUTCOMES)

    async def submit(request: Request) -> Response:
        try:
            return await _submit(request)
        except Refused as r:
            return refused(r)

    async def _submit(request: Request) -> Response:
        _same_origin(request)
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > max_upload_bytes + FORM_OVERHEAD:
            raise _too_large(int(declared), max_upload_bytes)
        limited = Request(request.scope, _limited_receive(request.receive, max_upload_bytes + FORM_OVERHEAD))
        try:
            form = await limited.form(max_files=1, max_fields=20, max_part_size=64 * 1024)
        except BodyTooLarge:
            raise _too_large(None, max_upload_bytes)
        except HTTPException as exc:
            raise Refused(400, "The form could not be read", str(exc.detail),
                          "submit the form on the start page, with one transcript file")
        try:
            if token is not None:
                given = str(form.get("token") or request.headers.get(TOKEN_HEADER) or "")
                if not hmac.compare_digest(given.encode(), token.encode()):
                    raise Refused(403, "Token needed", "the submission token is wrong" if given
                                  else "this app needs a submission token and none was given",
                                  "ask whoever runs `insights serve` for the token and enter it in the form")
            rep = str(form.get("rep") or "").strip()
            if not rep:
                raise Refused(400, "Who is submitting?", "the rep name is missing",
                              "fill in your name so the weekly report can credit the call")
            upload = form.get("file")
            if not isinstance(upload, UploadFile) or not upload.filename:
                raise Refused(400, "No file", "no transcript file was attached", "choose the call's transcript file")
            original = display_name(upload.filename)
            ext = upload_extension(upload.filename)
            if ext is None:
                raise Refused(415, "Not a transcript file type",
                              f"“{original}” is not one of the transcript types ({limits['extensions']})",
                              "export the call's transcript (not the recording) and upload that")
            fields = SubmitFields(rep=rep, why=str(form.get("why") or "").strip(),
                                  outcome=str(form.get("outcome") or "").strip() or None,
                                  account=str(form.get("account") or "").strip() or None,
                                  buyer_title=str(form.get("buyer_title") or "").strip() or None, original=original)
            path = await _save(upload, uploads, ext, max_upload_bytes)
        finally:
            await form.close()
        try:
            fb = await writer.submit(path, fields)
        except Duplicate as dup:
            err = dup.error
            return page("error.html.j2", 409, title="Already submitted", code=err.code, message=err.message,
                        hint=err.hint, where="", earlier=_with_link(dup.earlier, reports))
        except InsightsError as err:
            return page("error.html.j2", 422, title="The transcript could not be used", code=err.code,
                        message=err.message, hint=err.hint, where=err.where(), earlier=None)
        view = feedback_view(fb, rep, original)
        view["report_url"] = f"/reports/{view['week']}/" if (reports / view["week"] / "index.html").is_file() else ""
        return page("feedback.html.j2", 200, fb=view)

    async def reports_index(request: Request) -> Response:
        return page("reports.html.j2", reports=latest_reports(n=1000))

    async def report_file(request: Request) -> Response:
        rel = request.path_params["path"]
        target = safe_join(reports, rel)
        if target is None or not target.exists():
            return refused(Refused(404, "Not found", f"there is no report page “{rel}”",
                                   "pick a week from the list of reports"))
        if target.is_dir():
            if not request.url.path.endswith("/"):
                return RedirectResponse(request.url.path + "/", status_code=307)
            target = target / "index.html"
            if not target.is_file():
                return refused(Refused(404, "Not found", f"“{rel}” holds no report",
                                       "pick a week from the list of reports"))
        return FileResponse(target, headers={"X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin"})

    async def reports_redirect(request: Request) -> Response:
        return RedirectResponse("/reports/", status_code=307)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        uploads.mkdir(parents=True, exist_ok=True)
        await writer.start()
        try:
            yield
        finally:
            await writer.stop()

    routes = [
        Route("/", index, methods=["GET"]),
        Route("/submit", submit, methods=["POST"]),
        Route("/reports", reports_redirect, methods=["GET"]),
        Route("/reports/", reports_index, methods=["GET"]),
        Route("/reports/{path:path}", report_file, methods=["GET", "HEAD"]),
    ]
    app = Starlette(routes=routes, lifespan=lifespan,
                    middleware=[Middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts))])
    app.state.writer = writer
    app.state.upload_dir = uploads
    return app


def _same_origin(request: Request) -> None:
    """Browsers send Origin on form posts: refuse posts made by another site's page (CSRF on a local app)."""
    origin = request.headers.get("origin")
    if origin is None:
        return                  # not a browser form post (curl, scripts): the token, when set, guards those
    if origin == "null" or urlsplit(origin).netloc != request.headers.get("host", ""):
        raise Refused(403, "Cross-site submission refused", f"a page at {origin} tried to submit a call here",
                      "open the form from this app's own address and submit it there")


def _too_large(size: int | None, limit: int) -> Refused:
    got = f"the upload is {human_bytes(size)}" if size else "the upload is too large"
    return Refused(413, "File too large", f"{got}; the limit is {human_bytes(limit)}",
                   "split the transcript into parts, or ask whoever runs `insights serve` to raise --max-upload-mb")


def _limited_receive(receive: Receive, limit: int) -> Receive:
    """The request body stream, cut off with BodyTooLarge past ``limit`` bytes (covers bodies sent without a
    Content-Length, e.g. chunked)."""
    seen = 0

    async def wrapped() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise BodyTooLarge()
        return message

    return wrapped


async def _save(upload: UploadFile, folder: Path, ext: str, limit: int) -> Path:
    """Write the upload to ``folder/<uuid4><ext>`` (never the client's name), refusing it past ``limit`` bytes or
    when its content does not match its type."""
    if upload.size is not None and upload.size > limit:
        raise _too_large(upload.size, limit)
    path = folder / f"{uuid.uuid4().hex}{ext}"
    await upload.seek(0)
    head = await upload.read(64 * 1024)
    check_content(ext, head)
    size = len(head)
    folder.mkdir(parents=True, exist_ok=True)
    try:
        with open(path, "xb") as out:
            out.write(head)
            while chunk := await upload.read(1024 * 1024):
                size += len(chunk)
                if size > limit:
                    raise _too_large(None, limit)
                out.write(chunk)
        if size > limit:
            raise _too_large(size, limit)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path


def _with_link(earlier: dict[str, Any] | None, reports: Path) -> dict[str, Any] | None:
    if earlier is None:
        return None
    has_report = (reports / earlier["week"] / "index.html").is_file()
    return {**earlier, "report_url": f"/reports/{earlier['week']}/" if has_report else ""}

