"""Building the brochure PDF: plan, render the parts in parallel, merge.

Every page type has a fixed frame (a scenario is exactly one page, a chapter
opener one page, tables a fixed number of rows per page), so the page count
of every part — a "chunk": the front matter, each chapter, the city index,
the ranking tables, the back cover — is known before anything is rendered,
and so is the page every scenario lands on. That makes the build
parallel and incremental:

1. The content is read once (``content.brochure_content``) and cut into
   chunks (``pages.chunks``) with their page counts; the start page of each
   follows, and the table of contents with it.
2. Each chunk is rendered by WeasyPrint on its own, numbered from its start
   page, in worker processes, and cached under a hash of everything it is
   made from (its content, start page, table of contents for the front
   matter, profile, templates and CSS). Chunks are small (a chapter in parts
   of at most ``pages.PART_SCENARIOS`` scenarios, the contents, index and
   tables in parts of a few pages) and handed to the workers costliest
   first (:func:`schedule`, by ``Chunk.cost``), so the workers finish
   together. A rebuild after one scenario changed renders only its part (and
   the front matter if a title moved).
3. The parts are merged with pikepdf, their font subsets joined into one
   per face (``fonts.share_subsets``), one bookmark per chapter and
   scenario, title, author and language set, written to a temporary file
   and moved into place atomically. The whole build is cached too:
   unchanged inputs return the previous file at once.

If a chunk renders to another page count than planned (a layout bug), the
start pages after it are recomputed and the affected chunks rendered again,
so page numbers, the table of contents and bookmarks stay right.
"""
from __future__ import annotations

import contextlib
import gc
import hashlib
import json
import multiprocessing
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field, fields, is_dataclass
from pathlib import Path

import pikepdf
from flask import current_app
from flask_babel import get_locale

from app.brochure import pages
from app.brochure.content import brochure_content
from app.brochure.files import atomic_write
from app.brochure.fonts import FontSet, brochure_fonts, share_subsets, template_text
from app.brochure.options import BuildOptions
from app.db import db
from app.pdf.markup import UA_FILE
from app.pdf.text import document_language, language_tag

#: Bump when the builder's own output changes, to drop old cached files.
BUILD_VERSION = 2  # 2: table rows measured per script run
#: Cached parts and builds unused for this long are deleted after a build.
CACHE_DAYS = 30
TEMPLATE_FOLDER = Path(__file__).resolve().parent.parent / "templates" / "brochure" / "pdf"
CSS_FILE = Path(__file__).resolve().parent.parent / "static" / "pdf" / "brochure.css"

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class BuildResult:
    path: Path
    pages: int
    size: int  # bytes
    input_hash: str
    cached: bool  # the whole file came from the cache
    rendered: int  # chunks rendered in this build (the others came from the cache)
    seconds: float
    #: Chunk key → CPU seconds its render took (in the process that rendered it), for the parts rendered.
    part_seconds: dict[str, float] = field(default_factory=dict)
    #: Chunk key → estimated cost (ms, ``Chunk.cost``) of every part, in the order the scheduler hands them out.
    schedule: dict[str, float] = field(default_factory=dict)
    #: Wall time of the build's steps outside rendering: "content" (read, fit, plan, hash), "fonts", "merge".
    step_seconds: dict[str, float] = field(default_factory=dict)


def cache_folder() -> Path:
    return Path(current_app.config["BROCHURE_CACHE_FOLDER"])


def _plain(value):
    """JSON-able form of the dataclasses a chunk carries (for hashing). One pass:
    ``dataclasses.asdict`` copies the whole tree first (a build hashes about
    60,000 values)."""
    if is_dataclass(value) and not isinstance(value, type):
        return {item.name: _plain(getattr(value, item.name)) for item in fields(value)}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def _digest(*parts) -> str:
    """A hash of ``parts`` made plain (:func:`_plain`). The JSON encoder walks
    what is plain already (the payloads) in C and hands only the rest to
    ``_plain``: walking the payloads again in Python took 40 ms a build."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(json.dumps(part, ensure_ascii=False, sort_keys=True, default=_plain).encode())
        digest.update(b"\x00")
    return digest.hexdigest()


def _design_version() -> str:
    """A hash of the templates and the stylesheets: changing the design invalidates the caches."""
    files = sorted(TEMPLATE_FOLDER.glob("*.html")) + [CSS_FILE, UA_FILE]
    return _digest(BUILD_VERSION, [(f.name, hashlib.sha256(f.read_bytes()).hexdigest()) for f in files if f.exists()])


def _start_pages(plan: list, counts: dict[str, int]) -> dict[str, int]:
    start, positions = 1, {}
    for chunk in plan:
        positions[chunk.key] = start
        start += counts[chunk.key]
    return positions


def _render_part(chunk, start_page, toc, profile, fonts: FontSet, out_path: Path) -> tuple[int, float]:
    """Render one chunk into ``out_path``; its page count and the CPU seconds it took.

    Call it with the heap inherited or built before frozen (``gc.freeze``):
    the collection after the part then scans only what the part made."""
    started = time.process_time()
    # WeasyPrint builds large trees of boxes full of reference cycles: the
    # collector's passes while it works cost about a fifth of the render
    # (more in a forked worker, whose inherited objects it scans too). One
    # collection at the end frees the same memory.
    gc.disable()
    try:
        data, count = pages.render_chunk_pages(chunk, start_page=start_page, toc=toc, profile=profile, fonts=fonts)
    finally:
        gc.enable()
        gc.collect()
    atomic_write(out_path, data)
    # Beside it, what the merge needs to know without reading it again.
    atomic_write(out_path.with_suffix(".json"), json.dumps({"pages": count, "cut": fonts.cut}).encode())
    return count, time.process_time() - started


def part_pages(path: Path) -> int:
    """The page count of a PDF (pikepdf reads only the page tree)."""
    with pikepdf.open(path) as pdf:
        return len(pdf.pages)


def _part_facts(path: Path) -> tuple[int, str]:
    """A cached part's page count and the cut of the fonts it was set in
    (recorded beside it when it was rendered; "" when unknown)."""
    try:
        facts = json.loads(path.with_suffix(".json").read_text())
        return int(facts["pages"]), str(facts["cut"])
    except (OSError, ValueError, KeyError, TypeError):
        return part_pages(path), ""


def schedule(plan: list) -> list:
    """The chunks of ``plan`` in the order the workers take them: the
    costliest first (``Chunk.cost``, an estimate by page type, not the page
    count), so the last parts handed out are the small ones and the workers
    finish together (longest processing time first)."""
    return sorted(plan, key=lambda chunk: -chunk.cost)


def simulate(seconds: list[float], workers: int) -> list[float]:
    """When each of ``workers`` workers finishes, taking parts of these
    durations in this order, each part going to the first worker free (what
    the process pool does with the scheduler's order)."""
    finish = [0.0] * max(1, workers)
    for duration in seconds:
        free = finish.index(min(finish))
        finish[free] += duration
    return finish


def _render_in_worker(app_config_key, chunk, start_page, toc, profile, fonts, locale, out_path):
    """Render one chunk to ``out_path`` (runs in a forked worker process)."""
    app = _FORKED_APPS[app_config_key]
    from flask_babel import force_locale

    with app.app_context(), force_locale(locale):
        return _render_part(chunk, start_page, toc, profile, fonts, Path(out_path))


# Apps handed to forked workers (inherited through fork, never pickled).
_FORKED_APPS: dict[int, object] = {}
#: Whether this process has rendered a part itself (see _render).
_RENDERED_HERE = False


def _start_worker(app_config_key) -> None:
    """In a forked worker: never touch the parent's database connections
    (SQLAlchemy's advice for fork; with SQLite, closing an inherited file
    would drop the parent's locks), and never scan the objects inherited from
    the parent for garbage (a scan writes to them, so their shared pages
    would be copied into the worker)."""
    _FORKED_APPS[app_config_key].extensions["db"].engine.dispose(close=False)
    gc.freeze()


def plan_fonts(plan: list, payloads: dict | None = None) -> FontSet:
    """The Noto CJK faces cut to every character the chunks of ``plan`` print:
    their content and the templates' own labels (in the current locale).
    ``payloads``: the chunks' payloads made plain (:func:`_plain`) by chunk key, if already made."""
    payloads = payloads or {chunk.key: _plain(chunk.payload) for chunk in plan}
    return brochure_fonts(json.dumps([payloads[chunk.key] for chunk in plan], ensure_ascii=False) + template_text()
                          + pages.table_labels())


def _workers() -> int:
    configured = current_app.config["BROCHURE_WORKERS"]
    return max(1, int(configured) or min(2, os.cpu_count() or 1))


@contextlib.contextmanager
def _frozen_heap():
    """The objects alive now left out of garbage collection until the block ends.

    A build makes many objects (the content, the parts' boxes) in a process
    whose heap may be large: a full collection would walk all of it (0.15 s
    of a 0.9 s rebuild in the bench's process, and more in a busy one).
    A process that froze its heap itself (a gunicorn or job worker) keeps it
    so: unfreezing would hand its heap back to the collector."""
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def build_brochure(options: BuildOptions, *, out_path: Path, progress: Progress | None = None) -> BuildResult:
    """Build the brochure ``options`` describe into ``out_path``.

    Needs an app context (it reads the snapshot). ``progress(step, done,
    total)`` is called as parts are finished. Raises DomainError when there
    is nothing to print (no published snapshot).
    """
    with _frozen_heap():
        return _build(options, out_path=out_path, progress=progress)


def _build(options: BuildOptions, *, out_path: Path, progress: Progress | None) -> BuildResult:
    started = time.perf_counter()
    report = progress or (lambda step, done, total: None)
    out_path = Path(out_path)
    with document_language():
        locale = str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])
        lang = language_tag()
        content = brochure_content(db.session, options)
        plan = pages.chunks(content)
    design = _design_version()
    payloads = {chunk.key: _plain(chunk.payload) for chunk in plan}  # made plain once: hashed three times
    input_hash = _digest(options.as_dict(), [(c.key, c.kind, c.pages, payloads[c.key]) for c in plan], locale, design)
    steps = {"content": time.perf_counter() - started}
    folder = cache_folder()
    whole = folder / "builds" / f"{input_hash}.pdf"
    if whole.exists():
        whole.touch()
        shutil.copyfile(whole, out_path.with_name(out_path.name + ".part"))
        os.replace(out_path.with_name(out_path.name + ".part"), out_path)
        report("done", len(plan), len(plan))
        return BuildResult(out_path, part_pages(whole), whole.stat().st_size, input_hash, True, 0,
                           time.perf_counter() - started, step_seconds=steps)

    mark = time.perf_counter()
    with document_language():
        fonts = plan_fonts(plan, payloads)
    steps["fonts"] = time.perf_counter() - mark
    counts = {chunk.key: chunk.pages for chunk in plan}
    rendered = 0
    part_seconds: dict[str, float] = {}
    cuts: dict[str, str] = {}  # chunk key → the cut its part was set in
    files: dict[str, Path] = {}
    for _attempt in range(3):
        positions = _start_pages(plan, counts)
        toc = pages.table_of_contents(plan, positions)
        plain_toc = _plain(toc)  # made plain once: hashed with every part that prints it
        jobs = {}
        for chunk in plan:
            chunk_toc = toc if chunk.needs_toc else None
            key = _digest(design, locale, options.profile, fonts.installed, chunk.key, chunk.kind, payloads[chunk.key],
                          positions[chunk.key], plain_toc if chunk.needs_toc else None)
            files[chunk.key] = folder / "chunks" / f"{key}.pdf"
            if not files[chunk.key].exists():
                jobs[chunk.key] = (chunk, positions[chunk.key], chunk_toc)
        done = len(plan) - len(jobs)
        report("cached", done, len(plan))
        mark = time.perf_counter()
        actual, seconds = _render(jobs, files, options.profile, fonts, locale, report, done, len(plan))
        steps["render"] = steps.get("render", 0.0) + time.perf_counter() - mark
        part_seconds.update(seconds)
        rendered += len(jobs)
        for chunk in plan:
            if chunk.key not in actual:
                actual[chunk.key], cuts[chunk.key] = _part_facts(files[chunk.key])
            else:
                cuts[chunk.key] = fonts.cut
        if actual == counts:
            break
        counts = actual  # a part came out longer or shorter: renumber and render again
    else:
        raise RuntimeError("the brochure's page numbering did not settle")

    positions = _start_pages(plan, counts)
    report("merging", len(plan), len(plan))
    mark = time.perf_counter()
    whole.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=whole.parent, prefix=".part-")
    os.close(handle)
    try:
        _merge(plan, files, positions, content, lang, Path(temporary),
               cuts={key: fonts.folder / cut for key, cut in cuts.items() if cut and fonts.folder})
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    os.replace(temporary, whole)
    part = out_path.with_name(out_path.name + ".part")
    shutil.copyfile(whole, part)
    os.replace(part, out_path)
    total = sum(counts.values())
    for path in files.values():
        path.touch()  # used now: kept by the sweep below
    _sweep(folder)
    steps["merge"] = time.perf_counter() - mark
    report("done", len(plan), len(plan))
    return BuildResult(out_path, total, out_path.stat().st_size, input_hash, False, rendered,
                       time.perf_counter() - started, part_seconds=part_seconds, schedule={chunk.key: chunk.cost for chunk in schedule(plan)},
                       step_seconds=steps)


def _merge(plan: list, files: dict[str, Path], positions: dict[str, int], content, lang: str, out: Path, *,
           cuts: dict[str, Path]) -> None:
    """The parts in order into ``out``: one bookmark per chapter (its scenarios
    under it, across the chapter's parts) and per other part, the metadata,
    and the reader opening on the bookmarks. pikepdf (qpdf) copies the parts'
    objects four times faster than pypdf."""
    with contextlib.ExitStack() as stack:
        merged = stack.enter_context(pikepdf.new())
        by_cut: dict[Path, list] = {}
        for chunk in plan:
            first = len(merged.pages)
            merged.pages.extend(stack.enter_context(pikepdf.open(files[chunk.key])).pages)
            if chunk.key in cuts:
                by_cut.setdefault(cuts[chunk.key], []).extend(merged.pages[first:])
        with merged.open_outline() as outline:
            parent = None
            for chunk in plan:
                for bookmark in chunk.bookmarks:
                    item = pikepdf.OutlineItem(bookmark.title, positions[chunk.key] - 1 + bookmark.page_offset)
                    if bookmark.level == 0 or parent is None:
                        outline.root.append(item)
                        parent = item
                    else:
                        parent.children.append(item)
        share_subsets(merged, by_cut)  # each cut face embedded once, not once a part
        merged.docinfo["/Title"] = content.title
        merged.docinfo["/Author"] = content.author
        merged.docinfo["/Subject"] = content.subtitle or content.title
        merged.docinfo["/Creator"] = "Scenario Showcase"
        merged.Root.Lang = pikepdf.String(lang)
        merged.Root.PageMode = pikepdf.Name.UseOutlines
        merged.save(out)


def _sweep(folder: Path) -> None:
    """Delete cached parts and builds no build has used for CACHE_DAYS."""
    limit = time.time() - CACHE_DAYS * 86400
    for sub in ("chunks", "builds"):
        for path in [*(folder / sub).glob("*.pdf"), *(folder / sub).glob("*.json")]:
            try:
                if path.stat().st_mtime < limit:
                    path.unlink()
            except FileNotFoundError:  # another build swept it first
                pass


def _render(jobs: dict, files: dict[str, Path], profile: str, fonts: FontSet, locale: str, report: Progress, done: int,
            total: int) -> tuple[dict[str, int], dict[str, float]]:
    """Render the chunks of ``jobs`` (key → (chunk, start page, toc)); returns
    key → page count and key → CPU seconds of its render."""
    counts: dict[str, int] = {}
    seconds: dict[str, float] = {}
    if not jobs:
        return counts, seconds
    global _RENDERED_HERE
    app = current_app._get_current_object()
    slots = _workers()
    workers = min(slots, len(jobs))
    order = [chunk.key for chunk in schedule([chunk for chunk, _start, _toc in jobs.values()])]
    # Parts rendered in this process, whose heap build_brochure froze: the
    # collection after each part scans only what the part made (an 11.3 s
    # one-process build: 8.9 s).
    if workers == 1:  # a one-scenario rebuild, a one-worker build
        inline = order
    elif _RENDERED_HERE or len(jobs) <= slots:  # warm already; or each part has a worker of its own
        inline = []
    else:
        # A process that has never rendered (a job worker that only forked)
        # renders the cheapest part itself first: the workers it forks, in
        # this build and the next, start from its caches (C types parsed,
        # fontconfig and Pango set up) instead of each making its own (a full
        # build 4.13 → 3.94 s once this process is warm).
        inline = [min(order, key=lambda key: jobs[key][0].cost)]
    for key in inline:
        chunk, start, toc = jobs[key]
        counts[key], seconds[key] = _render_part(chunk, start, toc, profile, fonts, files[key])
        _RENDERED_HERE = True
        done += 1
        report(chunk.title, done, total)
    order = [key for key in order if key not in counts]
    if not order:
        return counts, seconds
    workers = min(workers, len(order))
    # Forked workers inherit the app (templates, config, fonts) without pickling it.
    slot = id(app)
    _FORKED_APPS[slot] = app
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork"),
                                 initializer=_start_worker, initargs=(slot,)) as pool:
            # Submitted in the scheduler's order: the pool hands them out in it.
            futures = {
                pool.submit(_render_in_worker, slot, jobs[key][0], jobs[key][1], jobs[key][2], profile, fonts, locale,
                            str(files[key])): (key, jobs[key][0])
                for key in order
            }
            for future in as_completed(futures):
                key, chunk = futures[future]
                counts[key], seconds[key] = future.result()
                done += 1
                report(chunk.title, done, total)
    finally:
        _FORKED_APPS.pop(slot, None)
    return counts, seconds
