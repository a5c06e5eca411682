"""Rule table, concurrency and architecture half: FA2xx, FA7xx, FA8xx, FA9xx."""

from __future__ import annotations

from textwrap import dedent

from framealloc_lint.model import Rule, Severity

__all__ = ["CONCURRENCY_RULES"]


def _code(text: str) -> str:
    return dedent(text).strip("\n")


CONCURRENCY_RULES: tuple[Rule, ...] = (
    Rule(
        code="FA201",
        name="cross-thread-frame",
        category="thread",
        severity=Severity.ERROR,
        summary="frame allocation passed to another thread without a TransferHandle",
        explanation=(
            "Frame memory belongs to the arena of the thread that allocated it and is reset "
            "when that thread's frame ends; another thread may read it after the reset. "
            "Passing a frame value to `threading.Thread`, an executor's `submit`/`map`, "
            "`asyncio.to_thread`, `run_in_executor` or a queue's `put` is reported. "
            "`frame_box_for_transfer(value)` makes the hand-over explicit: the other side "
            "calls `handle.receive()`."
        ),
        bad=_code("""
            positions = alloc.frame_alloc(np.float32, (n, 2))
            executor.submit(integrate, positions)
        """),
        good=_code("""
            handle = alloc.frame_box_for_transfer(positions)
            executor.submit(integrate_handle, handle)   # integrate_handle calls handle.receive()
        """),
        help="send `alloc.frame_box_for_transfer(value)` and call `.receive()` on the other side",
    ),
    Rule(
        code="FA202",
        name="worker-without-barrier",
        category="thread",
        severity=Severity.WARNING,
        summary="worker thread allocates frame memory but signals no FrameBarrier",
        explanation=(
            "A worker that makes frame allocations shares the frame boundary with the thread "
            "that ends the frame. Without `barrier.signal_frame_complete()` the coordinator "
            "cannot know the worker is done before arenas reset."
        ),
        bad=_code("""
            def worker(alloc: SmartAlloc) -> None:
                scratch = alloc.frame_alloc(np.float32, 1024)
                simulate(scratch)

            threading.Thread(target=worker, args=(alloc,)).start()
        """),
        good=_code("""
            def worker(alloc: SmartAlloc, barrier: FrameBarrier) -> None:
                scratch = alloc.frame_alloc(np.float32, 1024)
                simulate(scratch)
                barrier.signal_frame_complete()
        """),
        help="create a `FrameBarrier(n)` and call `barrier.signal_frame_complete()` in the worker",
    ),
    Rule(
        code="FA203",
        name="thread-without-budget",
        category="thread",
        severity=Severity.HINT,
        summary="thread allocates with no thread budget configured",
        explanation=(
            "Worker threads that allocate are easier to keep in bounds with a per-thread "
            "budget: `alloc.set_thread_budget_config(thread_id, ThreadBudgetConfig(...))`. "
            "Reported when a worker allocates and the module never configures one."
        ),
        bad=_code("""
            def loader(alloc: SmartAlloc) -> None:
                blob = alloc.heap_alloc(np.uint8, 1 << 20)

            threading.Thread(target=loader, args=(alloc,)).start()
        """),
        good=_code("""
            def loader(alloc: SmartAlloc) -> None:
                alloc.set_thread_budget_config(threading.get_ident(), ThreadBudgetConfig())
                blob = alloc.heap_alloc(np.uint8, 1 << 20)
        """),
        help="call `alloc.set_thread_budget_config(thread_id, ThreadBudgetConfig(...))`",
    ),
    Rule(
        code="FA205",
        name="end-frame-without-barrier",
        category="thread",
        severity=Severity.ERROR,
        summary="`end_frame()` without barrier synchronisation while workers allocate",
        explanation=(
            "When worker threads make frame allocations, the coordinator must wait for them "
            "(`barrier.wait_all()`, `wait_timeout`, `wait_and_reset`, joining the threads or "
            "the futures) before `end_frame()`; otherwise arenas reset under a running worker."
        ),
        bad=_code("""
            for _ in range(workers):
                executor.submit(worker, alloc, barrier)
            alloc.end_frame()
        """),
        good=_code("""
            for _ in range(workers):
                executor.submit(worker, alloc, barrier)
            barrier.wait_all()
            alloc.end_frame()
        """),
        help="call `barrier.wait_all()` (or join the workers) before `end_frame()`",
    ),
    Rule(
        code="FA701",
        name="async-frame-alloc",
        category="async",
        severity=Severity.ERROR,
        summary="frame allocation in an `async def`",
        explanation=(
            "A coroutine can be suspended at any `await` and resumed after the frame ended; "
            "frame memory it allocated is then reused. Allocate frame memory in synchronous "
            "code; inside a coroutine, a `with alloc.frame_scope():` block that contains no "
            "`await` is accepted."
        ),
        bad=_code("""
            async def fetch_chunk(alloc: SmartAlloc) -> None:
                buf = alloc.frame_alloc(np.uint8, 4096)
                await stream.readinto(buf)
        """),
        good=_code("""
            async def fetch_chunk(alloc: SmartAlloc) -> None:
                buf = alloc.pool_alloc(np.uint8, 4096)
                try:
                    await stream.readinto(buf)
                finally:
                    alloc.pool_free(buf)
        """),
        help="use pool_alloc()/heap_alloc() in coroutines, or a frame_scope block with no await",
    ),
    Rule(
        code="FA702",
        name="frame-across-await",
        category="async",
        severity=Severity.ERROR,
        summary="frame allocation held across `await`",
        explanation=(
            "A frame value used after an `await` (or passed into the awaited call) may have "
            "been reset while the coroutine was suspended."
        ),
        bad=_code("""
            async def step(alloc: SmartAlloc) -> None:
                buf = alloc.frame_alloc(np.float32, 64)
                await asyncio.sleep(0)
                buf[:] = 0.0
        """),
        good=_code("""
            async def step(alloc: SmartAlloc) -> None:
                await asyncio.sleep(0)
                with alloc.frame_scope():
                    buf = alloc.frame_alloc(np.float32, 64)
                    buf[:] = 0.0
        """),
        help="finish with frame memory before the first `await`, or copy it first",
    ),
    Rule(
        code="FA703",
        name="frame-in-task",
        category="async",
        severity=Severity.ERROR,
        summary="frame allocation captured by a task",
        explanation=(
            "`asyncio.create_task`, `ensure_future`, `gather` and task groups run the "
            "coroutine later, very likely after the frame that owns the allocation ended."
        ),
        bad=_code("""
            box = alloc.frame_box(snapshot)
            asyncio.create_task(upload(box))
        """),
        good=_code("""
            box = alloc.heap_box(snapshot)
            asyncio.create_task(upload(box))
        """),
        help="give the task pool/heap memory or a copy, never a frame allocation",
    ),
    Rule(
        code="FA801",
        name="tag-mismatch",
        category="tags",
        severity=Severity.WARNING,
        summary="tag does not match the module's configured tag",
        explanation=(
            "`[tags] module_tags` in `.fa.toml` assigns each module the tag its memory is "
            "charged to. A module that tags allocations with another (unowned) tag breaks "
            "per-tag budgets and reports."
        ),
        bad=_code("""
            # .fa.toml: [tags] module_tags = { "game.render" = "rendering" }
            with alloc.with_tag(tags.AUDIO):       # in game/render.py
                verts = alloc.frame_alloc(Vertex, 64)
        """),
        good=_code("""
            with alloc.with_tag(tags.RENDERING):   # in game/render.py
                verts = alloc.frame_alloc(Vertex, 64)
        """),
        help="use the module's configured tag, or change `[tags] module_tags`",
    ),
    Rule(
        code="FA802",
        name="unknown-tag",
        category="tags",
        severity=Severity.WARNING,
        summary="unknown tag",
        explanation=(
            "Tags are matched by name; a misspelt tag silently creates a new, unbudgeted "
            "bucket. Known tags are the library's (`framealloc_engine.tags`) plus "
            "`[tags] known_tags`."
        ),
        bad=_code("""
            with alloc.with_tag("physcs"):
                contacts = alloc.frame_alloc(Contact, 256)
        """),
        good=_code("""
            with alloc.with_tag(tags.PHYSICS):
                contacts = alloc.frame_alloc(Contact, 256)
        """),
        help="use a constant from `framealloc_engine.tags` or add the tag to `known_tags`",
    ),
    Rule(
        code="FA803",
        name="cross-module-tag",
        category="tags",
        severity=Severity.HINT,
        summary="module uses a tag owned by another module",
        explanation=(
            "With `[tags] module_tags`, each tag has an owning module. Charging memory to "
            "another module's tag hides who allocated it; that is sometimes deliberate "
            "(a shared helper), hence a hint."
        ),
        bad=_code("""
            # .fa.toml: module_tags = { "game.render" = "rendering", "game.physics" = "physics" }
            with alloc.with_tag(tags.PHYSICS):      # in game/render.py
                ...
        """),
        good=_code("""
            with alloc.with_tag(tags.RENDERING):    # in game/render.py
                ...
        """),
        help="tag with the module's own tag, or move the allocation to the owning module",
    ),
    Rule(
        code="FA900",
        name="parse-error",
        category="parse",
        severity=Severity.ERROR,
        summary="file could not be parsed",
        explanation=(
            "The analyser reads source with Python's `ast` module, decoding it as Python does "
            "(a UTF-8 byte-order mark or a PEP 263 coding line chooses the encoding). A file "
            "Python's parser rejects, or whose bytes are invalid in its encoding, cannot be "
            "checked and is reported instead."
        ),
        bad=_code("""
            def update(alloc: AllocResource) -> None
                ...
        """),
        good=_code("""
            def update(alloc: AllocResource) -> None:
                ...
        """),
        help="fix the syntax error (run `python -m py_compile FILE`)",
    ),
    Rule(
        code="FA902",
        name="analysis-incomplete",
        category="internal",
        severity=Severity.ERROR,
        summary="the analyser could not finish checking a file",
        explanation=(
            "The file parsed, but a check stopped on it: the code is nested deeper than the "
            "analyser can follow (thousands of chained operators or subscripts), memory ran "
            "out, or the analyser has a bug. The other files, and the checks that finished, "
            "are reported normally; this finding says that the file was only partly checked."
        ),
        bad=_code("""
            total = a0 + a1 + a2 + ...  # generated: 100,000 terms in one expression
        """),
        good=_code("""
            total = sum(values)
        """),
        help="split the generated expression, or report the message and the file as an fa bug",
    ),
)
