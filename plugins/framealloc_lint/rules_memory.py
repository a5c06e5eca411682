"""Rule table, memory half: frame escapes, loops and retention (FA6xx)."""

from __future__ import annotations

from textwrap import dedent

from framealloc_lint.model import Rule, Severity

__all__ = ["MEMORY_RULES"]


def _code(text: str) -> str:
    return dedent(text).strip("\n")


MEMORY_RULES: tuple[Rule, ...] = (
    Rule(
        code="FA601",
        name="frame-escape",
        category="frame",
        severity=Severity.WARNING,
        summary="frame allocation escapes its frame",
        explanation=(
            "Frame memory is reset at `end_frame()`: a view kept after that points at bytes "
            "the next frame reuses (debug mode freezes it, boxes raise FA002). The analyser "
            "follows a frame allocation through names, slices and containers and reports it "
            "when it is stored on `self`, in a global or module-level container, captured by "
            "a closure that outlives the call, or returned from a system."
        ),
        bad=_code("""
            class Trails:
                def update(self, alloc: AllocResource) -> None:
                    self.points = alloc.frame_alloc(np.float32, (64, 2))
        """),
        good=_code("""
            class Trails:
                def update(self, alloc: AllocResource) -> None:
                    points = alloc.frame_alloc(np.float32, (64, 2))
                    self.points = points.copy()  # or alloc.pool_alloc(...)
        """),
        help=(
            "copy it (`arr.copy()`), allocate from the pool or heap, or use "
            "`frame_retained(..., RetentionPolicy.PROMOTE_TO_POOL)`"
        ),
    ),
    Rule(
        code="FA602",
        name="loop-allocation",
        category="frame",
        severity=Severity.WARNING,
        summary="allocation in a hot loop",
        explanation=(
            "Each allocation costs a call, bookkeeping and (for frame memory) arena space; "
            "allocating once per iteration of a `for`/`while` loop or comprehension is "
            "usually one batched allocation written the slow way. Loops that run a frame per "
            "iteration, loops over a short literal, loops that leave after their first pass, "
            "and loops with no bound (`while True`: they run over time, not over a batch; "
            "see FA606) are not flagged. The limit is `[thresholds] loop_allocation_limit`."
        ),
        bad=_code("""
            for sprite in sprites:
                quad = alloc.frame_alloc(Vertex, 4)
                fill_quad(quad, sprite)
        """),
        good=_code("""
            quads = alloc.frame_alloc(Vertex, (len(sprites), 4))
            for i, sprite in enumerate(sprites):
                fill_quad(quads[i], sprite)
        """),
        help="allocate once before the loop for all iterations and index into it",
    ),
    Rule(
        code="FA603",
        name="frame-outside-frame",
        category="frame",
        severity=Severity.WARNING,
        summary="frame allocation outside any frame",
        explanation=(
            "A frame allocation needs an active frame (runtime FA001). A function is in a "
            "frame when it takes an `AllocResource` parameter, is a system of an App with "
            "`SmartAllocPlugin`, calls `begin_frame()`/`frame_scope()`, or is only called "
            "from such functions. Allocators passed in as parameters are the caller's "
            "business and are not flagged."
        ),
        bad=_code("""
            alloc = SmartAlloc.with_defaults()

            def build_mesh():
                return alloc.frame_alloc(Vertex, 1024)

            build_mesh()
        """),
        good=_code("""
            alloc = SmartAlloc.with_defaults()

            def build_mesh():
                return alloc.frame_alloc(Vertex, 1024)

            with alloc.frame_scope():
                build_mesh()
        """),
        help="call `alloc.begin_frame()` first, use `with alloc.frame_scope():`, or pool_alloc()",
    ),
    Rule(
        code="FA604",
        name="retention-mismatch",
        category="frame",
        severity=Severity.HINT,
        summary="retention policy does not match how the allocation is used",
        explanation=(
            "`frame_retained`/`frame_with_importance` exist to declare that data may outlive "
            "the frame. Asking for retention with `RetentionPolicy.DISCARD` or "
            "`Importance.EPHEMERAL` is a plain frame allocation with extra bookkeeping; and a "
            "module that promotes allocations but only ever calls plain `end_frame()` never "
            "collects the promoted results (`end_frame_with_promotions()` returns them)."
        ),
        bad=_code("""
            path = alloc.frame_retained(Node, 128, RetentionPolicy.DISCARD)
        """),
        good=_code("""
            path = alloc.frame_alloc(Node, 128)
            # or, when it should survive the frame:
            path = alloc.frame_retained(Node, 128, RetentionPolicy.PROMOTE_TO_POOL)
        """),
        help=(
            "use `frame_alloc` for discarded data; collect promotions with "
            "`end_frame_with_promotions()`"
        ),
    ),
    Rule(
        code="FA605",
        name="discard-stored",
        category="frame",
        severity=Severity.WARNING,
        summary="DISCARD retention but stored beyond the frame",
        explanation=(
            "An allocation whose retention policy is `DISCARD` (or `Importance.EPHEMERAL`, "
            "or `frame_retained` without a policy) is freed at `end_frame()`, yet it is stored "
            "where it outlives the frame (on `self`, in a module-level container, in an "
            "escaping closure, or returned from a system)."
        ),
        bad=_code("""
            def plan(self, alloc: AllocResource) -> None:
                self.path = alloc.frame_with_importance(Node, 64, Importance.EPHEMERAL)
        """),
        good=_code("""
            def plan(self, alloc: AllocResource) -> None:
                path = alloc.frame_with_importance(Node, 64, Importance.REUSABLE)
                # collect the promoted copy from end_frame_with_promotions()
        """),
        help="choose `Importance.REUSABLE`/`RetentionPolicy.PROMOTE_TO_POOL`, or keep a copy",
    ),
    Rule(
        code="FA606",
        name="unbounded-loop-allocation",
        category="budget",
        severity=Severity.HINT,
        summary="allocation in a loop with no bound",
        explanation=(
            "A `while True` loop (or a loop over `itertools.count()` / `iter(f, sentinel)`) "
            "that allocates without beginning a new frame per iteration grows the frame "
            "arena, pool or heap with no limit the analyser can see; a long run ends in "
            "runtime FA003 (arena exhausted) or FA301/FA302 (budget exceeded). Loops that "
            "begin and end a frame each iteration (the game loop) are not flagged, nor are "
            "pool/heap loops that free what they allocate or hand it on (a queue's `put`, "
            "`yield`: the consumer frees it). Allocations in such a loop are not also "
            "reported as FA602. Before fa 0.2.0 this check was "
            "reported as FA301, which is the runtime's 'global memory budget exceeded'."
        ),
        bad=_code("""
            while True:
                item = work.get()
                scratch = alloc.frame_alloc(np.float32, 256)
                process(item, scratch)
        """),
        good=_code("""
            while True:
                item = work.get()
                with alloc.frame_scope():
                    scratch = alloc.frame_alloc(np.float32, 256)
                    process(item, scratch)
        """),
        help="bound the loop, or give each iteration its own frame (`with alloc.frame_scope():`)",
    ),
)
