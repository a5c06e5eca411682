"""What a call allocates and where frame values come from (the analyser's taint sources)."""

from __future__ import annotations

import ast
from dataclasses import dataclass, replace

from framealloc_lint.nodes import Location
from framealloc_lint.scope import ALLOCATORS, FunctionInfo, Scopes

__all__ = [
    "ALLOC_METHODS",
    "FRAME_CLOSE",
    "FRAME_METHODS",
    "FRAME_OPEN",
    "AllocCall",
    "Origin",
    "classify_alloc",
    "receiver_ref",
]

FRAME_METHODS = {
    "frame_alloc", "try_frame_alloc", "frame_slice", "frame_box", "frame_vec", "frame_map",
    "frame_retained", "frame_with_importance",
}  # fmt: skip
RETAINED = {"frame_retained", "frame_with_importance"}
#: Allocation method name -> kind.
ALLOC_METHODS: dict[str, str] = {
    **dict.fromkeys(FRAME_METHODS, "frame"),
    "frame_box_for_transfer": "transfer",
    "pool_alloc": "pool", "pool_box": "pool",
    "heap_alloc": "heap", "heap_box": "heap",
}  # fmt: skip
FRAME_OPEN = {"begin_frame", "frame_scope"}
FRAME_CLOSE = {"end_frame", "end_frame_with_promotions", "end_frame_with_summary"}
_IMPORTANCE = {
    "EPHEMERAL": "DISCARD", "REUSABLE": "PROMOTE_TO_POOL", "PERSISTENT": "PROMOTE_TO_HEAP",
    "SCRATCH": "PROMOTE_TO_SCRATCH",
}  # fmt: skip


@dataclass(frozen=True)
class Origin:
    """Where a frame value came from.

    Attributes:
        node: The allocation call (or the call of a helper returning frame memory).
        method: Allocation method (``"frame_alloc"``) or ``"helper()"``.
        policy: Retention policy (``"DISCARD"``, ``"PROMOTE_TO_POOL"``...), None if unknown.
        explicit_policy: Whether the policy was written out.
        closure: Name of the closure holding the value, when it is held by one.
    """

    node: ast.AST | Location
    method: str
    policy: str | None = "DISCARD"
    explicit_policy: bool = False
    closure: str | None = None

    @property
    def retained(self) -> bool:
        """Whether the value comes from ``frame_retained``/``frame_with_importance``."""
        return self.method in RETAINED

    def captured_by(self, closure: str) -> Origin:
        """The same origin, held by a closure."""
        return replace(self, closure=closure)


@dataclass(frozen=True)
class AllocCall:
    """An allocation call on a recognised allocator (kept as a location once walked)."""

    node: ast.Call | Location
    method: str
    kind: str
    provenance: str
    ref: str | None
    policy: str | None
    explicit_policy: bool

    def origin(self) -> Origin:
        """The taint origin of this call's result."""
        return Origin(self.node, self.method, self.policy, self.explicit_policy)


def receiver_ref(expr: ast.expr, scopes: Scopes, fn: FunctionInfo | None) -> str | None:
    """``"alloc"`` for a name, ``"self.alloc"`` for a self attribute, else None."""
    if isinstance(expr, ast.Name):
        return expr.id
    attr = scopes.self_attr(expr, fn)
    return f"self.{attr}" if attr is not None else None


def classify_alloc(call: ast.Call, scopes: Scopes, fn: FunctionInfo | None) -> AllocCall | None:
    """Describe ``call`` when it allocates from a recognised allocator."""
    func = call.func
    if not isinstance(func, ast.Attribute) or func.attr not in ALLOC_METHODS:
        return None
    kind = scopes.kind_of(func.value, fn)
    if kind not in ALLOCATORS:
        return None
    assert kind is not None
    policy: str | None = None
    explicit = False
    if func.attr in RETAINED:
        keyword = "policy" if func.attr == "frame_retained" else "importance"
        arg = next((k.value for k in call.keywords if k.arg == keyword), None)
        if arg is None and len(call.args) > 2:
            arg = call.args[2]
        explicit = arg is not None
        policy = _policy(arg, scopes) if arg is not None else "DISCARD"
    return AllocCall(
        call, func.attr, ALLOC_METHODS[func.attr], kind, receiver_ref(func.value, scopes, fn),
        policy, explicit,
    )  # fmt: skip


def _policy(arg: ast.expr, scopes: Scopes) -> str | None:
    node = arg.func if isinstance(arg, ast.Call) else arg
    if not isinstance(node, ast.Attribute):
        return None
    owner = scopes.imports.lib(node.value)
    if owner == "RetentionPolicy":
        return node.attr
    if owner == "Importance":
        return _IMPORTANCE.get(node.attr)
    return None
