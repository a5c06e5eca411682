"""The memory behaviour report: thresholds, per-(tag, kind) statistics and the FA5xx rules.

The tracking lives in ``behavior_filter``; this module is the pure analysis, so the same
statistics always give the same report. Rules:

* FA501 (warning): frame arrays that outlive their frame stay referenced longer than
  ``frame_survival_frames`` frames on average.
* FA502 (warning): more than ``frame_survival_rate`` of a tag's frame allocations are still
  referenced when the *next* frame ends.
* FA510 (hint): more than ``pool_same_frame_free_rate`` of a tag's pool allocations are
  freed in the frame that made them.
* FA520 (warning): more than ``promotion_churn_rate`` promotions per frame.
* FA530 (warning): more than ``heap_in_hot_path_count / 60`` heap allocations per frame made
  inside frames (the count is per second at 60 frames per second, as in the crate).

A rule looks at a (tag, kind) only once it has ``min_samples`` allocations (FA520 once it has
``min_samples`` frames).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from framealloc_engine.diagnostics.codes import DiagnosticKind

__all__ = [
    "CAPTURED",
    "BehaviorIssue",
    "BehaviorReport",
    "BehaviorThresholds",
    "TagBehaviorStats",
    "analyze",
    "display_tag",
]

FRAME, POOL, HEAP = "frame", "pool", "heap"
#: numpy's own allocations served from frame memory (``capture_numpy``).
CAPTURED = "numpy"


def display_tag(tag: str) -> str:
    """A tag path for humans: ``"(untagged)"`` for the empty path."""
    return tag if tag else "(untagged)"


@dataclass(frozen=True, slots=True)
class BehaviorThresholds:
    """When the behaviour rules fire. The defaults are the crate's ``default()``.

    Example::

        alloc.enable_behavior_filter(BehaviorThresholds.strict())
        custom = BehaviorThresholds(frame_survival_frames=120, min_samples=20)

    Attributes:
        frame_survival_frames: FA501 when surviving frame arrays live longer on average.
        frame_survival_rate: FA502 above this share of surviving frame allocations.
        pool_same_frame_free_rate: FA510 above this share of pool allocations freed in
            the frame that made them.
        promotion_churn_rate: FA520 above this many promotions per frame.
        heap_in_hot_path_count: FA530 above this many in-frame heap allocations per 60
            frames.
        min_samples: Allocations (frames, for FA520) needed before a rule looks.
    """

    frame_survival_frames: int = 60
    frame_survival_rate: float = 0.5
    pool_same_frame_free_rate: float = 0.8
    promotion_churn_rate: float = 0.5
    heap_in_hot_path_count: int = 100
    min_samples: int = 10

    def __post_init__(self) -> None:
        for name in ("frame_survival_frames", "heap_in_hot_path_count", "min_samples"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name} must be a non-negative int, got {value!r}")
        for name in ("frame_survival_rate", "pool_same_frame_free_rate", "promotion_churn_rate"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise ValueError(f"{name} must be a non-negative number, got {value!r}")

    @classmethod
    def default(cls) -> BehaviorThresholds:
        """60 frames, 50 %, 80 %, 0.5/frame, 100 heap allocs, 10 samples."""
        return cls()

    @classmethod
    def strict(cls) -> BehaviorThresholds:
        """For CI and tests: 10 frames, 20 %, 50 %, 0.2/frame, 10 heap allocs, 5 samples."""
        return cls(10, 0.2, 0.5, 0.2, 10, 5)

    @classmethod
    def relaxed(cls) -> BehaviorThresholds:
        """For development: 300 frames, 80 %, 95 %, 0.8/frame, 1000 heap allocs, 50 samples."""
        return cls(300, 0.8, 0.95, 0.8, 1000, 50)


@dataclass(slots=True)
class TagBehaviorStats:
    """What one (tag path, allocation kind) pair did. O(1) memory per pair.

    Attributes:
        tag: Tag path (``""`` untagged).
        kind: ``"frame"``, ``"pool"`` or ``"heap"``.
        total_allocs: Allocations observed.
        survived_frame_count: Frame allocations still referenced when the next frame ended.
        total_lifetime_frames: Frames those allocations stayed referenced past their own.
        promotion_count: Promotions of this tag's frame allocations.
        same_frame_frees: Allocations freed in the frame that made them.
        in_frame_allocs: Allocations made while a frame was active.
        current_bytes: Bytes allocated minus bytes freed (frame: reset at frame end).
        peak_bytes: Highest ``current_bytes``.
        first_seen_frame: Frame number of the first allocation.
        last_alloc_frame: Frame number of the latest allocation.
    """

    tag: str
    kind: str
    total_allocs: int = 0
    survived_frame_count: int = 0
    total_lifetime_frames: int = 0
    promotion_count: int = 0
    same_frame_frees: int = 0
    in_frame_allocs: int = 0
    current_bytes: int = 0
    peak_bytes: int = 0
    first_seen_frame: int = 0
    last_alloc_frame: int = 0

    def avg_lifetime_frames(self) -> float:
        """Average frames a surviving frame allocation stayed referenced past its frame."""
        if not self.survived_frame_count:
            return 0.0
        return self.total_lifetime_frames / self.survived_frame_count

    def survival_rate(self) -> float:
        """Share of allocations that survived their frame (0..1)."""
        return self.survived_frame_count / self.total_allocs if self.total_allocs else 0.0

    def same_frame_free_rate(self) -> float:
        """Share of allocations freed in their own frame (0..1)."""
        return self.same_frame_frees / self.total_allocs if self.total_allocs else 0.0

    def frames_active(self) -> int:
        """Frames from the first to the latest allocation, inclusive."""
        return max(0, self.last_alloc_frame - self.first_seen_frame) + 1

    def promotion_rate(self) -> float:
        """Promotions per frame over :meth:`frames_active`."""
        return self.promotion_count / self.frames_active()

    def merge(self, other: TagBehaviorStats) -> None:
        """Add another thread's statistics of the same pair into this one."""
        self.total_allocs += other.total_allocs
        self.survived_frame_count += other.survived_frame_count
        self.total_lifetime_frames += other.total_lifetime_frames
        self.promotion_count += other.promotion_count
        self.same_frame_frees += other.same_frame_frees
        self.in_frame_allocs += other.in_frame_allocs
        self.current_bytes += other.current_bytes
        self.peak_bytes = max(self.peak_bytes, other.peak_bytes)
        self.first_seen_frame = min(self.first_seen_frame, other.first_seen_frame)
        self.last_alloc_frame = max(self.last_alloc_frame, other.last_alloc_frame)

    def copy(self) -> TagBehaviorStats:
        """An independent copy."""
        return dataclasses.replace(self)


@dataclass(frozen=True, slots=True)
class BehaviorIssue:
    """One rule that fired, with the numbers behind it.

    Attributes:
        code: ``"FA501"`` ...
        level: Its severity.
        tag: Tag path involved.
        kind: Allocation kind involved.
        message: Headline.
        observed: The observed value, rendered (``"avg lifetime: 128.0 frames"``).
        threshold: The threshold, rendered (``"expected < 60 frames"``).
        suggestion: What to do about it.
        observed_value: The observed value as a number.
        threshold_value: The threshold as a number.
    """

    code: str
    level: DiagnosticKind
    tag: str
    kind: str
    message: str
    observed: str
    threshold: str
    suggestion: str
    observed_value: float
    threshold_value: float

    def format(self) -> str:
        """The spec's rendering (five lines)."""
        return (
            f"[{self.code}] {self.level.value}: {self.message}\n"
            f"  tag: {display_tag(self.tag)}\n"
            f"  observed: {self.observed}\n"
            f"  threshold: {self.threshold}\n"
            f"  suggestion: {self.suggestion}"
        )

    def __str__(self) -> str:
        return self.format()


@dataclass(frozen=True, slots=True)
class BehaviorReport:
    """The result of :func:`analyze` (``alloc.behavior_report()``).

    Attributes:
        issues: Issues, most severe first, then by code, tag and kind.
        stats: Statistics per (tag, kind), ordered by tag then kind.
        frames_analyzed: Frames observed (the most any one thread ended).
        filter_enabled: Whether the filter was recording when the report was made.
        thresholds: The thresholds the rules used.
    """

    issues: tuple[BehaviorIssue, ...]
    stats: tuple[TagBehaviorStats, ...]
    frames_analyzed: int
    filter_enabled: bool
    thresholds: BehaviorThresholds = field(default_factory=BehaviorThresholds)

    def count(self, level: DiagnosticKind) -> int:
        """Issues of exactly ``level``."""
        return sum(1 for i in self.issues if i.level is level)

    def has_errors(self) -> bool:
        """Whether any issue is an error."""
        return self.count(DiagnosticKind.ERROR) > 0

    def has_warnings(self) -> bool:
        """Whether any issue is a warning or an error (CI fails on this)."""
        return any(i.level.rank >= DiagnosticKind.WARNING.rank for i in self.issues)

    def issues_at_level(self, min_level: DiagnosticKind) -> list[BehaviorIssue]:
        """Issues at or above ``min_level``."""
        return [i for i in self.issues if i.level.rank >= min_level.rank]

    def codes(self) -> list[str]:
        """The codes of the issues, in report order."""
        return [i.code for i in self.issues]

    def stats_for(self, tag: str, kind: str) -> TagBehaviorStats | None:
        """Statistics of one (tag, kind) pair, if it was seen."""
        return next((s for s in self.stats if s.tag == tag and s.kind == kind), None)

    def summary(self) -> str:
        """One line: counts of errors, warnings and hints, frames and tags."""
        tags = len({s.tag for s in self.stats})
        return (
            f"Behavior analysis: {self.count(DiagnosticKind.ERROR)} errors, "
            f"{self.count(DiagnosticKind.WARNING)} warnings, "
            f"{self.count(DiagnosticKind.HINT)} hints "
            f"({self.frames_analyzed} frames, {tags} tags)"
        )

    def format(self) -> str:
        """The summary followed by every issue, blank-line separated."""
        return "\n\n".join([self.summary(), *(i.format() for i in self.issues)])

    def __str__(self) -> str:
        return self.format()

    def emit(self) -> int:
        """Send every issue through ``fa_diagnostic`` (so strict mode applies); returns count.

        Raises:
            StrictModeViolation: strict mode forbids an issue's severity.
        """
        from framealloc_engine.diagnostics.emit import fa_diagnostic

        for issue in self.issues:
            fa_diagnostic(
                issue.level,
                issue.code,
                issue.message,
                note=f"tag {display_tag(issue.tag)}: observed {issue.observed}, "
                f"{issue.threshold}",
                help=issue.suggestion,
            )
        return len(self.issues)


def _issue(
    code: str,
    level: DiagnosticKind,
    stat: TagBehaviorStats,
    message: str,
    observed: tuple[str, float],
    threshold: tuple[str, float],
    suggestion: str,
) -> BehaviorIssue:
    return BehaviorIssue(
        code, level, stat.tag, stat.kind, message, observed[0], threshold[0], suggestion,
        observed[1], threshold[1],
    )


def _rules(stat: TagBehaviorStats, t: BehaviorThresholds, frames: int) -> list[BehaviorIssue]:
    out: list[BehaviorIssue] = []
    warn, hint = DiagnosticKind.WARNING, DiagnosticKind.HINT
    if stat.promotion_count and stat.frames_active() >= t.min_samples:
        rate = stat.promotion_rate()
        if rate > t.promotion_churn_rate:
            out.append(_issue(
                "FA520", warn, stat, "Excessive promotion churn detected",
                (f"{rate:.2f} promotions/frame", rate),
                (f"expected < {t.promotion_churn_rate:.2f}/frame", t.promotion_churn_rate),
                "Consider allocating directly in the target allocator",
            ))
    if stat.kind == CAPTURED and stat.survived_frame_count:
        out.append(_issue(
            "FA503", warn, stat, "captured numpy data outlives its frame",
            (f"{stat.survived_frame_count} array(s) alive at a frame end",
             stat.survived_frame_count),
            ("expected 0", 0),
            "copy what must outlive the frame outside capture_numpy(), or use pool_alloc()",
        ))  # fmt: skip
    if stat.total_allocs < t.min_samples:
        return out
    if stat.kind == FRAME:
        avg = stat.avg_lifetime_frames()
        if avg > t.frame_survival_frames:
            out.append(_issue(
                "FA501", warn, stat, "frame allocation behaves like long-lived data",
                (f"avg lifetime: {avg:.1f} frames", avg),
                (f"expected < {t.frame_survival_frames} frames", t.frame_survival_frames),
                "Consider using pool_alloc() or scratch_pool()",
            ))
        rate = stat.survival_rate()
        if rate > t.frame_survival_rate:
            out.append(_issue(
                "FA502", warn, stat, "High frame allocation survival rate",
                (f"{rate * 100:.0f}% survive beyond frame", rate),
                (f"expected < {t.frame_survival_rate * 100:.0f}%", t.frame_survival_rate),
                "Frame allocations should be ephemeral; use pool or heap",
            ))
    elif stat.kind == POOL:
        rate = stat.same_frame_free_rate()
        if rate > t.pool_same_frame_free_rate:
            out.append(_issue(
                "FA510", hint, stat, "Pool allocation used as scratch memory",
                (f"{rate * 100:.0f}% freed same frame", rate),
                (f"expected < {t.pool_same_frame_free_rate * 100:.0f}%",
                 t.pool_same_frame_free_rate),
                "Consider using frame_alloc() for ephemeral data",
            ))
    elif stat.kind == HEAP:
        per_frame = stat.in_frame_allocs / max(frames, 1)
        limit = t.heap_in_hot_path_count / 60.0
        if per_frame > limit:
            out.append(_issue(
                "FA530", warn, stat, "Frequent heap allocations detected",
                (f"{per_frame:.1f} heap allocs/frame", per_frame),
                (f"expected < {limit:.1f}/frame", limit),
                "Consider using pool_alloc() or frame_alloc() for hot paths",
            ))
    return out


def analyze(
    stats: list[TagBehaviorStats],
    thresholds: BehaviorThresholds,
    frames: int,
    *,
    enabled: bool = True,
) -> BehaviorReport:
    """Apply the rules to merged statistics; deterministic for equal inputs."""
    ordered = sorted(stats, key=lambda s: (s.tag, s.kind))
    issues = [issue for stat in ordered for issue in _rules(stat, thresholds, frames)]
    issues.sort(key=lambda i: (-i.level.rank, i.code, i.tag, i.kind))
    return BehaviorReport(tuple(issues), tuple(ordered), frames, enabled, thresholds)
