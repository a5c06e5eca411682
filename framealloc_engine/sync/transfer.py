"""``TransferHandle``: explicit, once-only hand-over of a value from one thread to another.

::

    handle = alloc.frame_box_for_transfer(result)      # sending thread
    queue.put(handle.send())                            # OWNED -> IN_FLIGHT
    ...
    data = queue.get().receive()                        # receiving thread: RECEIVED

Memory safety comes first: frame memory is reset by its own thread's ``end_frame`` (and
rollbacks), so a handle never points into the sender's arena. ``frame_box_for_transfer``
copies a numpy-representable value once into a heap block the handle owns (any other object
is held by reference), so an in-flight transfer stays receivable after the sender's frame
ended. ``receive()`` then copies the bytes into the *receiver's* frame arena when the receiver
has a frame active (valid until the receiver's ``end_frame``, like any frame allocation; no
numpy allocation on either side), and otherwise into a plain numpy array the receiver owns.
``receive_owned()`` always returns such a plain array. The heap block is freed as soon as the
value is taken, cancelled, or the handle is dropped.

States: ``OWNED`` (created), ``IN_FLIGHT`` (``send()`` called), ``RECEIVED`` (``receive()``
returned), ``CONSUMED`` (``receive_owned()`` returned or the sender ``cancel()`` ed it).
Receiving twice, or after a cancel, raises :class:`TransferError` (FA401). A handle
collected while ``OWNED`` or ``IN_FLIGHT`` counts as dropped; in debug mode it also warns
(``ResourceWarning``) and logs.
"""

from __future__ import annotations

import enum
import itertools
import logging
import threading
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

import numpy as np

from framealloc_engine.errors import StaleHandleError

if TYPE_CHECKING:
    from framealloc_engine.lifecycle.manager import LifecycleManager

__all__ = [
    "TransferError",
    "TransferHandle",
    "TransferRegistry",
    "TransferState",
    "TransferStats",
]

T = TypeVar("T")
_log = logging.getLogger("framealloc")


class TransferError(StaleHandleError):
    """FA401: a transfer handle was received twice, or used after it was consumed."""

    default_help = "receive each TransferHandle exactly once, on the thread that takes it"


class TransferState(enum.Enum):
    """Where a transfer is in its life."""

    OWNED = "owned"
    IN_FLIGHT = "in_flight"
    RECEIVED = "received"
    CONSUMED = "consumed"


@dataclass(frozen=True, slots=True)
class TransferStats:
    """Transfer counters of one allocator.

    Attributes:
        initiated: Handles created.
        received: Handles received (``receive`` or ``receive_owned``).
        cancelled: Handles cancelled by the sender.
        dropped_unreceived: Handles collected without being received or cancelled.
        bytes_initiated: Bytes captured by created handles.
        bytes_received: Bytes handed to receivers.
    """

    initiated: int
    received: int
    cancelled: int
    dropped_unreceived: int
    bytes_initiated: int
    bytes_received: int

    @property
    def in_flight(self) -> int:
        """Handles neither received, cancelled nor dropped."""
        return self.initiated - self.received - self.cancelled - self.dropped_unreceived


class _Receiver(Protocol):
    """What a handle needs from the allocator on the receiving thread."""

    @property
    def frame_active(self) -> bool: ...

    @property
    def frame_alloc(self) -> Any: ...

    def heap_alloc(self, dtype: Any, shape: Any = ()) -> np.ndarray: ...

    def heap_free(self, array: np.ndarray) -> None: ...


class TransferRegistry:
    """Counts transfers and reports them to lifecycle tracking.

    Args:
        debug: Warn (``ResourceWarning``) and log when a handle is dropped unreceived.
    """

    def __init__(self, *, debug: bool = False) -> None:
        self.debug = debug
        self.lifecycle: LifecycleManager | None = None
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._initiated = 0
        self._received = 0
        self._cancelled = 0
        self._dropped = 0
        self._bytes_initiated = 0
        self._bytes_received = 0

    def stats(self) -> TransferStats:
        """A snapshot of the counters."""
        with self._lock:
            return TransferStats(self._initiated, self._received, self._cancelled,
                                 self._dropped, self._bytes_initiated, self._bytes_received)

    def initiate(self, size: int) -> int:
        """Count a new transfer of ``size`` bytes; returns its id."""
        with self._lock:
            transfer_id = next(self._ids)
            self._initiated += 1
            self._bytes_initiated += size
        if self.lifecycle is not None:
            self.lifecycle.transfer_initiated(transfer_id, size)
        return transfer_id

    def complete(self, transfer_id: int, origin: int, size: int) -> None:
        """Count a received transfer (its handle calls this)."""
        with self._lock:
            self._received += 1
            self._bytes_received += size
        if self.lifecycle is not None:
            self.lifecycle.transfer_completed(transfer_id, origin, size)

    def cancel(self) -> None:
        """Count a cancelled transfer (its handle calls this)."""
        with self._lock:
            self._cancelled += 1

    def drop(self, transfer_id: int, origin_name: str, state: TransferState) -> None:
        """Count a handle dropped unreceived, and warn about it in debug mode."""
        with self._lock:
            self._dropped += 1
        if self.debug:
            message = (
                f"TransferHandle {transfer_id} from thread {origin_name!r} was dropped while "
                f"{state.name} without being received"
            )
            _log.warning("%s", message)
            warnings.warn(message, ResourceWarning, stacklevel=2)

    def create(self, alloc: _Receiver, value: T, stored: np.ndarray | None) -> TransferHandle[T]:
        """A handle capturing ``value`` (``stored``: its array form, copied here).

        The copy lives on the allocator's heap (no numpy allocation); the handle frees it
        when the value is received, cancelled, or the handle is dropped.
        """
        buffer = None
        if stored is not None:
            buffer = alloc.heap_alloc(stored.dtype, stored.shape)
            buffer[...] = stored
        size = 0 if buffer is None else buffer.nbytes
        transfer_id = self.initiate(size)
        held = None if buffer is not None else value
        return TransferHandle(self, alloc, transfer_id, buffer, held)


def _read(array: np.ndarray) -> Any:
    return array[()] if array.ndim == 0 else array


class TransferHandle(Generic[T]):
    """A value on its way from the thread that created the handle to one receiver.

    Create it with ``SmartAlloc.frame_box_for_transfer(value)``; it may cross threads freely
    (queues, futures); exactly one :meth:`receive` or :meth:`receive_owned` succeeds.
    """

    __slots__ = (
        "__weakref__",
        "_alloc",
        "_buffer",
        "_id",
        "_lock",
        "_object",
        "_origin",
        "_origin_name",
        "_received",
        "_registry",
        "_size",
        "_state",
    )

    def __init__(
        self,
        registry: TransferRegistry,
        alloc: _Receiver,
        transfer_id: int,
        buffer: np.ndarray | None,
        obj: object,
    ) -> None:
        thread = threading.current_thread()
        self._registry = registry
        self._alloc = alloc
        self._id = transfer_id
        self._buffer = buffer
        self._object = obj
        self._size = 0 if buffer is None else buffer.nbytes
        self._origin = threading.get_ident()
        self._origin_name = thread.name
        self._state = TransferState.OWNED
        self._received = False
        self._lock = threading.Lock()

    @property
    def id(self) -> int:
        """This transfer's number (unique per allocator)."""
        return self._id

    @property
    def origin_thread(self) -> int:
        """``threading.get_ident()`` of the thread that created the handle."""
        return self._origin

    @property
    def state(self) -> TransferState:
        """The handle's current state."""
        return self._state

    @property
    def size(self) -> int:
        """Bytes captured (0 for a Python object held by reference)."""
        return self._size

    @property
    def is_received(self) -> bool:
        """Whether a receiver has taken the value."""
        return self._received

    def send(self) -> TransferHandle[T]:
        """Mark the handle in flight (``OWNED`` -> ``IN_FLIGHT``) and return it.

        Raises:
            TransferError: (FA401) the handle is not ``OWNED``.
        """
        with self._lock:
            if self._state is not TransferState.OWNED:
                raise self._stale("send()")
            self._state = TransferState.IN_FLIGHT
        return self

    def receive(self) -> T:
        """Take the value on the calling thread (once).

        Returns a numpy scalar for a 0-d value, an array for array values -- in the caller's
        frame arena if it has a frame active, else a plain numpy copy the caller owns -- or
        the object itself.

        Raises:
            TransferError: (FA401) already received or consumed.
            ArenaExhaustedError, BudgetExceededError: copying into the caller's frame failed;
                the handle is unchanged and can be received again.
        """
        with self._lock:
            self._check_receivable("receive()")
            buffer = self._buffer
            value: Any
            if buffer is None:
                value = self._object
            elif self._alloc.frame_active:
                target = self._alloc.frame_alloc(buffer.dtype, buffer.shape)
                target[...] = buffer
                value = _read(target)
            else:
                value = _read(buffer.copy())
            self._finish(TransferState.RECEIVED)
            self._received = True
        self._registry.complete(self._id, self._origin, self._size)
        return value  # type: ignore[no-any-return]

    def receive_owned(self) -> T:
        """Take the value as memory the caller owns outright (no frame memory), once.

        Raises:
            TransferError: (FA401) already received or consumed.
        """
        with self._lock:
            self._check_receivable("receive_owned()")
            buffer = self._buffer
            value: Any = self._object if buffer is None else _read(buffer.copy())
            self._finish(TransferState.CONSUMED)
            self._received = True
        self._registry.complete(self._id, self._origin, self._size)
        return value  # type: ignore[no-any-return]

    def cancel(self) -> T:
        """Abandon the transfer and return the value to the caller (normally the sender).

        Raises:
            TransferError: (FA401) already received or consumed.
        """
        with self._lock:
            self._check_receivable("cancel()")
            buffer = self._buffer
            value: Any = self._object if buffer is None else _read(buffer.copy())
            self._finish(TransferState.CONSUMED)
        self._registry.cancel()
        return value  # type: ignore[no-any-return]

    def _check_receivable(self, what: str) -> None:
        if self._state is TransferState.RECEIVED or self._state is TransferState.CONSUMED:
            raise self._stale(what)

    def _finish(self, state: TransferState) -> None:
        self._state = state
        buffer = self._buffer
        self._buffer = None
        self._object = None
        if buffer is not None:
            self._alloc.heap_free(buffer)

    def _stale(self, what: str) -> TransferError:
        return TransferError(
            f"TransferHandle {self._id}: {what} called on a handle that is {self._state.name}",
            note=f"the handle was created on thread {self._origin_name!r}; a transfer is "
            "received (or cancelled) exactly once",
        )

    def __del__(self) -> None:
        state = getattr(self, "_state", None)
        if state is TransferState.OWNED or state is TransferState.IN_FLIGHT:
            buffer = self._buffer
            self._buffer = None
            if buffer is not None:
                self._alloc.heap_free(buffer)  # the captured copy goes back to the heap
            self._registry.drop(self._id, self._origin_name, state)

    def __repr__(self) -> str:
        return f"<TransferHandle {self._id} {self._state.name} {self._size} bytes>"
