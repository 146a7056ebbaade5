"""``PoolCore`` on its own: a model-based state machine, and the edge cases one by one.

The machine drives the core as the asyncio layer does (``pgpool._pool``), with plain ints as
waiters and fake connections, and keeps its own model of what must be true: every connection
is idle, in use or being closed (and nothing else is alive), no slot is held twice, waiters
are served first come first served and never after they left, the pool stays within
``max_size`` (after a resize down the excess only drains), and ``floor_missing`` is right.
"""

from __future__ import annotations

import random

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from pgpool._core import Limits, PoolCore, Slot, TooManyWaitersError, check_sizes


class FakeConnection:
    """Stands for a connection: only its identity matters to the core."""

    __slots__ = ("number",)

    def __init__(self, number: int) -> None:
        self.number = number

    def __repr__(self) -> str:
        return f"<FakeConnection {self.number}>"


def pick(items: list[Slot] | list[int] | list[FakeConnection], index: int) -> object:
    return items[index % len(items)]


INDEX = st.integers(min_value=0, max_value=1000)


class PoolCoreMachine(RuleBasedStateMachine):
    """Drives a :class:`PoolCore` and checks it against a model after every step."""

    core: PoolCore[int]

    @initialize(
        max_size=st.integers(1, 5),
        min_share=st.integers(0, 5),
        max_waiting=st.sampled_from([0, 0, 1, 3]),
        max_queries=st.sampled_from([0, 3, 50000]),
        inactive=st.sampled_from([0.0, 10.0, 60.0]),
        lifetime=st.sampled_from([0.0, 30.0, 100.0]),
        jitter=st.sampled_from([0.0, 0.1, 0.5]),
        seed=st.integers(0, 2**16),
    )
    def start(
        self,
        max_size: int,
        min_share: int,
        max_waiting: int,
        max_queries: int,
        inactive: float,
        lifetime: float,
        jitter: float,
        seed: int,
    ) -> None:
        limits = Limits(
            min(min_share, max_size), max_size, max_queries, inactive, lifetime, jitter, max_waiting
        )
        self.core = PoolCore(limits, rng=random.Random(seed))
        self.now = 0.0
        self.numbers = 0
        #: The waiters waiting, in the order they asked.
        self.queue: list[int] = []
        self.left: set[int] = set()
        self.failed: set[int] = set()
        #: Every waiter that was handed a slot, and the slots in use with their holder.
        self.served: set[int] = set()
        self.holder: dict[Slot, int] = {}
        self.queries: dict[Slot, int] = {}
        #: Opens under way (the core counts them too).
        self.opens = 0
        #: Connections not closed yet, those the core gave to close, those that died in use.
        self.live: set[FakeConnection] = set()
        self.being_closed: set[FakeConnection] = set()
        self.lost: set[FakeConnection] = set()
        self.generation = 0
        self.ceiling = 0
        self.closed = False
        #: A resize raised max_size while waiters waited: their opens are the floor's to start.
        self.owed_by_floor = False

    # -- helpers ----------------------------------------------------------------------------

    def number(self) -> int:
        self.numbers += 1
        return self.numbers

    def give(self, waiter: int, slot: Slot) -> None:
        assert slot not in self.holder, "a slot handed to two waiters"
        assert waiter not in self.served, "a waiter served twice"
        assert waiter not in self.left, "a waiter that left was served"
        self.holder[slot] = waiter
        self.served.add(waiter)
        self.queries.setdefault(slot, 0)

    def serve(self, result: tuple[int, Slot] | None, slot: Slot) -> None:
        """What ``opened``/``released`` answered for ``slot``: the first waiter, or idle."""
        if result is None:
            assert not self.queue, "a waiter waits while the connection went idle"
            assert slot in self.core.idle
            return
        waiter, served = result
        assert served is slot
        assert self.queue and waiter == self.queue[0], "not first come, first served"
        self.queue.pop(0)
        self.give(waiter, slot)

    def forget(self, slot: Slot, *, closed: bool) -> None:
        """The pool drops ``slot``: ``closed`` if its connection is gone already (terminated)."""
        if self.core.discard(slot):
            self.opens += 1
        connection = slot.connection
        if closed:
            self.live.discard(connection)
        else:
            self.being_closed.add(connection)
        self.queries.pop(slot, None)

    def to_close(self, slots: list[Slot], idle_before: list[Slot]) -> None:
        for slot in slots:
            assert slot in idle_before, "the core closes a slot that was not idle"
            assert slot not in self.core.idle
            self.being_closed.add(slot.connection)
            self.queries.pop(slot, None)

    def expected_floor_missing(self) -> int:
        if self.closed:
            return 0
        limits = self.core.limits
        floor = min(limits.min_size, limits.max_size) - self.core.total
        owed = min(len(self.queue), limits.max_size - self.core.size) - self.opens
        return max(0, floor, owed)

    def is_stale(self, slot: Slot) -> bool:
        return slot.generation != self.generation or bool(slot.expires_at and self.now >= slot.expires_at)

    # -- requests ---------------------------------------------------------------------------

    @precondition(lambda self: not self.closed)
    @rule()
    def request(self) -> None:
        core, waiter = self.core, self.number()
        idle = list(core.idle)
        limit = core.limits.max_waiting
        immediate = bool(idle) and not self.queue
        try:
            result = core.request(waiter)
        except TooManyWaitersError as error:
            assert not immediate and limit and len(self.queue) >= limit
            assert error.waiting == len(self.queue)
            return
        assert not (limit and len(self.queue) > limit)
        if isinstance(result, Slot):
            assert immediate and result is idle[-1], "not the most recently used idle slot"
            self.give(waiter, result)
            return
        assert not immediate
        self.queue.append(waiter)
        if result:
            self.opens += 1

    @precondition(lambda self: self.queue)
    @rule(index=INDEX)
    def leave(self, index: int) -> None:
        waiter = self.queue[index % len(self.queue)]
        self.core.leave(waiter)
        self.queue.remove(waiter)
        self.left.add(waiter)

    @precondition(lambda self: self.served or self.failed or self.left)
    @rule(index=INDEX)
    def leave_late(self, index: int) -> None:
        """Leaving after being served, failed or gone already changes nothing."""
        waiter = pick(sorted(self.served | self.failed | self.left), index)
        assert isinstance(waiter, int)
        self.core.leave(waiter)

    @precondition(lambda self: self.holder)
    @rule(index=INDEX)
    def give_up_when_served(self, index: int) -> None:
        """Served in the moment it timed out: the pool passes the slot on, unused."""
        slot = pick(sorted(self.holder, key=lambda s: s.number), index)
        assert isinstance(slot, Slot)
        waiter = self.holder.pop(slot)
        self.core.leave(waiter)
        self.serve(self.core.released(slot, self.now), slot)

    # -- opening ----------------------------------------------------------------------------

    @precondition(lambda self: self.opens)
    @rule()
    def open_succeeds(self) -> None:
        core = self.core
        self.opens -= 1
        connection = FakeConnection(self.number())
        self.live.add(connection)
        slot = core.new_slot(connection, self.now)
        assert slot.generation == self.generation and slot.idle_since == self.now
        limits = core.limits
        if limits.max_lifetime:
            low = self.now + limits.max_lifetime * (1 - limits.lifetime_jitter)
            assert low <= slot.expires_at <= self.now + limits.max_lifetime
        else:
            assert slot.expires_at == 0.0
        if self.closed:
            # What the pool does with an open that ends after close(): close it at once.
            core.opening -= 1
            self.being_closed.add(connection)
            return
        self.serve(core.opened(slot), slot)

    @precondition(lambda self: self.opens)
    @rule()
    def open_fails(self) -> None:
        self.opens -= 1
        waiter, again = self.core.open_failed()
        if self.queue:
            assert waiter == self.queue.pop(0), "the error goes to the first waiter"
            assert isinstance(waiter, int)
            self.failed.add(waiter)
        else:
            assert waiter is None
        if again:
            assert self.queue and not self.closed
            self.opens += 1

    @rule(share=st.integers(1, 5))
    def floor_opens(self, share: int) -> None:
        """The maintenance task: start (some of) the opens ``floor_missing`` asks for."""
        missing = self.core.floor_missing()
        assert missing == self.expected_floor_missing()
        if missing:
            count = min(share, missing)
            self.core.begin_open(count)
            self.opens += count
            if count == missing:
                self.owed_by_floor = False

    # -- use, release and loss --------------------------------------------------------------

    @precondition(lambda self: self.holder)
    @rule(index=INDEX, queries=st.integers(0, 3))
    def use(self, index: int, queries: int) -> None:
        slot = pick(sorted(self.holder, key=lambda s: s.number), index)
        assert isinstance(slot, Slot)
        self.queries[slot] += queries

    @precondition(lambda self: self.holder)
    @rule(index=INDEX, reset_works=st.booleans())
    def release(self, index: int, reset_works: bool) -> None:
        """The pool's release: lost, not reusable, reset failed, or back to serve."""
        core = self.core
        slot = pick(sorted(self.holder, key=lambda s: s.number), index)
        assert isinstance(slot, Slot)
        del self.holder[slot]
        connection = slot.connection
        if connection in self.lost:
            self.lost.remove(connection)
            self.forget(slot, closed=True)
            return
        limits = core.limits
        expected = (
            not self.closed
            and not self.is_stale(slot)
            and core.size <= limits.max_size
            and not (limits.max_queries and self.queries[slot] >= limits.max_queries)
        )
        reusable = core.is_reusable(slot, self.now, self.queries[slot])
        assert reusable == expected
        if not reusable:
            self.forget(slot, closed=False)
        elif not reset_works:
            self.forget(slot, closed=True)
        else:
            self.serve(core.released(slot, self.now), slot)
            assert slot.idle_since == self.now or slot in self.holder

    @precondition(lambda self: self.holder)
    @rule(index=INDEX)
    def check_fails(self, index: int) -> None:
        """A health check or ``setup`` failed on a slot just handed out: it is terminated."""
        slot = pick(sorted(self.holder, key=lambda s: s.number), index)
        assert isinstance(slot, Slot)
        del self.holder[slot]
        self.forget(slot, closed=True)

    @precondition(lambda self: self.core.idle)
    @rule(index=INDEX)
    def lose_idle(self, index: int) -> None:
        slot = pick(list(self.core.idle), index)
        assert isinstance(slot, Slot)
        assert not self.queue
        self.forget(slot, closed=True)

    @precondition(lambda self: self.holder)
    @rule(index=INDEX)
    def lose_in_use(self, index: int) -> None:
        slot = pick(sorted(self.holder, key=lambda s: s.number), index)
        assert isinstance(slot, Slot)
        self.lost.add(slot.connection)

    @precondition(lambda self: self.being_closed)
    @rule(index=INDEX)
    def closed_at_last(self, index: int) -> None:
        connection = pick(sorted(self.being_closed, key=lambda c: c.number), index)
        assert isinstance(connection, FakeConnection)
        self.being_closed.remove(connection)
        self.live.remove(connection)

    # -- the clock and changes --------------------------------------------------------------

    @rule(seconds=st.sampled_from([0.0, 1.0, 5.0, 11.0, 35.0, 70.0, 120.0]))
    def clock(self, seconds: float) -> None:
        core, limits = self.core, self.core.limits
        self.now += seconds
        idle = list(core.idle)
        excess = core.total - limits.max_size
        closing = core.expired_idle(self.now)
        self.to_close(closing, idle)
        inactive_limit = limits.max_inactive_connection_lifetime

        def inactive(slot: Slot) -> bool:
            return bool(inactive_limit and self.now - slot.idle_since >= inactive_limit)

        beyond = [slot for slot in closing if not (self.is_stale(slot) or inactive(slot))]
        assert len(beyond) <= max(0, excess), "closed for no reason"
        assert [slot for slot in idle if slot not in closing] == list(core.idle), "order kept"
        for slot in core.idle:
            assert not self.is_stale(slot), "a stale idle connection stays open"
            assert not inactive(slot) or core.size <= limits.min_size, "idle too long above the floor"
        assert not core.idle or core.total <= limits.max_size, "idle connections above max_size"
        if any(not self.is_stale(slot) and inactive(slot) for slot in closing):
            assert core.size >= limits.min_size, "closed for inactivity below the floor"
        deadlines = [slot.expires_at for slot in core.idle if slot.expires_at]
        if inactive_limit:
            deadlines += [slot.idle_since + inactive_limit for slot in core.idle]
        assert core.next_deadline(self.now) == (min(deadlines) if deadlines else None)

    @rule()
    def expire_all(self) -> None:
        idle = list(self.core.idle)
        closing = self.core.expire_all()
        assert closing == idle and not self.core.idle
        self.to_close(closing, idle)
        self.generation += 1

    @rule(max_size=st.integers(1, 6), min_share=st.integers(0, 6))
    def resize(self, max_size: int, min_share: int) -> None:
        core = self.core
        idle = list(core.idle)
        before = core.limits.max_size
        closing = core.resize(min(min_share, max_size), max_size)
        assert closing == idle[: len(closing)], "least recently used first"
        self.to_close(closing, idle)
        assert not core.idle or core.total <= max_size
        assert not closing or core.total >= max_size
        self.ceiling = core.total
        if max_size > before and self.queue:
            self.owed_by_floor = True

    @precondition(lambda self: not self.closed)
    @rule()
    def close(self) -> None:
        core = self.core
        idle = list(core.idle)
        closing = core.close()
        assert closing == idle and not core.idle
        self.to_close(closing, idle)
        # The pool refuses the waiters, first to last.
        while (waiter := core.next_waiter()) is not None:
            assert waiter == self.queue.pop(0)
            self.failed.add(waiter)
        assert not self.queue
        self.closed = True

    # -- invariants -------------------------------------------------------------------------

    @invariant()
    def core_checks_itself(self) -> None:
        self.core.check()

    @invariant()
    def model_matches(self) -> None:
        core = self.core
        assert core.opening == self.opens
        assert list(core.waiters) == self.queue
        assert core.in_use == set(self.holder)
        assert len(set(self.holder.values())) == len(self.holder), "one waiter holds two slots"
        assert not (set(self.queue) & (self.left | self.failed | self.served))
        assert not (self.served & self.left) and not (self.served & self.failed)

    @invariant()
    def every_connection_is_accounted_for(self) -> None:
        core = self.core
        held = [slot.connection for slot in [*core.idle, *core.in_use]] + list(self.being_closed)
        assert len(held) == len(set(held)), "a connection is in two places"
        assert set(held) == self.live

    @invariant()
    def within_max_size(self) -> None:
        core = self.core
        limit = core.limits.max_size
        assert core.total <= max(limit, self.ceiling), "an open started above max_size"
        self.ceiling = min(self.ceiling, core.total)
        assert core.size <= max(limit, self.ceiling)

    @invariant()
    def waiters_are_served_when_they_can_be(self) -> None:
        core = self.core
        assert not (core.idle and self.queue), "a waiter waits while a connection is idle"
        if self.closed:
            return
        owed = min(len(self.queue), core.limits.max_size - core.size)
        started = self.opens + (core.floor_missing() if self.owed_by_floor else 0)
        assert started >= owed, "a waiter waits with room to open and no open for it"
        assert core.floor_missing() == self.expected_floor_missing()


TestPoolCore = PoolCoreMachine.TestCase
TestPoolCore.settings = settings(max_examples=200, stateful_step_count=40, deadline=None)


# -- edge cases, one by one ---------------------------------------------------------------------


def make_core(**limits: float) -> PoolCore[int]:
    options: dict[str, float] = {"min_size": 0, "max_size": 2, **limits}
    return PoolCore(Limits(**options), rng=random.Random(1))  # type: ignore[arg-type]  # ints where declared


def fill(core: PoolCore[int], count: int, now: float = 0.0) -> list[Slot]:
    """``count`` slots opened and idle."""
    core.begin_open(count)
    slots = [core.new_slot(FakeConnection(n), now) for n in range(count)]
    for slot in slots:
        assert core.opened(slot) is None
    return slots


def test_check_sizes() -> None:
    check_sizes(0, 1)
    for sizes, message in [
        ((0, 0), "max_size is expected to be greater than zero"),
        ((-1, 1), "min_size is expected to be greater or equal to zero"),
        ((2, 1), "min_size is greater than max_size"),
        ((True, 1), "min_size is expected to be an int"),
        ((0, 1.5), "max_size is expected to be an int"),
    ]:
        with pytest.raises(ValueError, match=message):
            check_sizes(*sizes)  # type: ignore[arg-type]  # the misuse under test


def test_request_hands_out_the_most_recently_used_idle_slot() -> None:
    core = make_core(max_size=3)
    first, second, third = fill(core, 3)
    assert core.request(1) is third
    core.released(third, 1.0)
    assert core.request(2) is third  # the same one again: the others may reach their idle limit
    assert core.request(3) is second
    assert core.request(4) is first
    assert core.request(5) is False  # full: wait, no open
    assert list(core.waiters) == [5]
    core.check()


def test_request_opens_one_per_waiter_up_to_max_size() -> None:
    core = make_core(max_size=2)
    assert core.request(1) is True
    assert core.request(2) is True
    assert core.request(3) is False
    assert (core.opening, core.total) == (2, 2)
    core.leave(1)
    # The open asked for by waiter 1 serves waiter 2; the second serves waiter 3.
    slot = core.new_slot(FakeConnection(1), 0.0)
    assert core.opened(slot) == (2, slot)
    other = core.new_slot(FakeConnection(2), 0.0)
    assert core.opened(other) == (3, other)
    core.check()


def test_max_waiting_refuses_at_once_without_queueing() -> None:
    core = make_core(max_size=1, max_waiting=2)
    assert core.request(1) is True
    assert core.request(2) is False
    with pytest.raises(TooManyWaitersError, match="2 callers waiting") as raised:
        core.request(3)
    assert raised.value.waiting == 2
    assert list(core.waiters) == [1, 2]
    core.leave(2)
    assert core.request(4) is False  # room again
    assert list(core.waiters) == [1, 4]


def test_a_waiter_that_left_is_never_served_and_leaving_twice_is_harmless() -> None:
    core = make_core(max_size=1)
    (slot,) = fill(core, 1)
    assert core.request(1) is slot
    assert core.request(2) is False
    assert core.request(3) is False
    core.leave(2)
    core.leave(2)
    core.leave(99)
    assert core.released(slot, 1.0) == (3, slot)
    assert core.released(slot, 2.0) is None
    assert list(core.idle) == [slot] and slot.idle_since == 2.0


def test_open_failed_gives_the_error_to_the_first_waiter_and_retries_for_the_rest() -> None:
    core = make_core(max_size=1)
    assert core.request(1) is True
    assert core.request(2) is False
    assert core.request(3) is False
    assert core.open_failed() == (1, True)  # waiter 2 gets an attempt of its own
    assert core.opening == 1
    core.leave(2)
    assert core.open_failed() == (3, False)
    assert core.opening == 0
    core.begin_open()  # a floor open fails with nobody waiting
    assert core.open_failed() == (None, False)
    core.check()


def test_discard_replaces_for_waiters_only() -> None:
    core = make_core(max_size=1)
    (slot,) = fill(core, 1)
    assert core.request(1) is slot
    assert core.discard(slot) is False  # nobody waits
    (slot,) = fill(core, 1)
    assert core.request(2) is slot
    assert core.request(3) is False
    assert core.discard(slot) is True  # waiter 3 gets an open
    assert core.opening == 1


def test_is_reusable() -> None:
    core = make_core(max_size=2, max_queries=5, max_lifetime=100.0, lifetime_jitter=0.0)
    (slot,) = fill(core, 1)
    assert slot.expires_at == 100.0
    assert core.request(1) is slot
    assert core.is_reusable(slot, 10.0, 4)
    assert not core.is_reusable(slot, 10.0, 5)  # max_queries
    assert not core.is_reusable(slot, 100.0, 0)  # max_lifetime
    core.expire_all()
    assert not core.is_reusable(slot, 10.0, 0)  # an older generation


def test_lifetime_jitter_spreads_expiry_within_its_bounds() -> None:
    core = make_core(max_lifetime=100.0, lifetime_jitter=0.2)
    expiries = {core.new_slot(FakeConnection(n), 10.0).expires_at for n in range(200)}
    assert min(expiries) >= 10.0 + 80.0 and max(expiries) <= 110.0
    assert len(expiries) > 100  # spread, not all the same
    assert make_core(max_lifetime=0.0).new_slot(FakeConnection(0), 5.0).expires_at == 0.0


def test_expired_idle_keeps_the_floor_and_closes_the_least_recently_used() -> None:
    core = make_core(min_size=1, max_size=3, max_inactive_connection_lifetime=10.0)
    a, b, c = fill(core, 3)
    assert [core.request(n) for n in (1, 2, 3)] == [c, b, a]
    for slot, at in ((a, 1.0), (b, 2.0), (c, 3.0)):
        assert core.released(slot, at) is None
    assert list(core.idle) == [a, b, c]
    assert core.next_deadline(3.0) == 11.0
    assert core.expired_idle(11.5) == [a]
    assert core.expired_idle(30.0) == [b]  # c stays: the floor
    assert list(core.idle) == [c]
    assert core.expired_idle(1000.0) == []


def test_expired_idle_closes_stale_ones_even_below_the_floor() -> None:
    core = make_core(min_size=2, max_size=2, max_lifetime=50.0, lifetime_jitter=0.0)
    a, b = fill(core, 2)
    assert core.next_deadline(0.0) == 50.0
    assert core.expired_idle(49.0) == []
    assert core.expired_idle(50.0) == [a, b]
    assert core.floor_missing() == 2


def test_floor_missing_counts_opens_under_way() -> None:
    core = make_core(min_size=2, max_size=3)
    assert core.floor_missing() == 2
    core.begin_open()
    assert core.floor_missing() == 1
    fill(core, 1)
    assert core.floor_missing() == 0
    core.close()
    assert core.floor_missing() == 0


def test_resize_up_gives_the_waiters_their_opens_through_floor_missing() -> None:
    core = make_core(max_size=1)
    (slot,) = fill(core, 1)
    assert core.request(1) is slot
    assert core.request(2) is False
    assert core.request(3) is False
    assert core.floor_missing() == 0  # no room
    core.resize(0, 3)
    assert core.floor_missing() == 2  # one open each for the waiters, now that there is room
    core.begin_open(2)
    new = core.new_slot(FakeConnection(9), 0.0)
    assert core.opened(new) == (2, new)
    core.check()


def test_resize_down_drains_the_excess_without_opening() -> None:
    core = make_core(max_size=4)
    a, b = fill(core, 2)
    assert core.request(1) is b
    assert core.request(2) is a
    assert core.request(3) is True
    assert core.request(4) is True
    assert core.resize(0, 1) == []  # nothing idle to close yet
    core.check()  # four open or opening, above max_size 1: allowed, it is draining
    core.leave(3)
    core.leave(4)
    # The opens under way end idle; above max_size, the clock closes them.
    first = core.new_slot(FakeConnection(7), 0.0)
    assert core.opened(first) is None
    core.check()
    assert core.expired_idle(0.0) == [first]
    assert not core.is_reusable(b, 0.0, 0)  # above max_size: closes at release
    assert core.discard(b) is False
    assert core.request(5) is False  # no open: still above max_size
    core.check()
    second = core.new_slot(FakeConnection(8), 0.0)
    assert core.opened(second) == (5, second)
    assert core.total == 2
    assert core.discard(second) is False
    assert core.is_reusable(a, 0.0, 0)  # down to max_size: reusable
    core.check()


def test_resize_down_closes_idle_ones_least_recently_used_first() -> None:
    core = make_core(max_size=3)
    a, b, c = fill(core, 3)
    assert core.resize(0, 1) == [a, b]
    assert list(core.idle) == [c]


def test_check_catches_a_broken_state() -> None:
    core = make_core(max_size=1)
    (slot,) = fill(core, 1)
    core.waiters.append(1)
    with pytest.raises(AssertionError, match="a waiter waits while a connection is idle"):
        core.check()
    core.waiters.clear()
    core.in_use.add(slot)
    with pytest.raises(AssertionError, match="idle and in use"):
        core.check()
    core.in_use.clear()
    core.opening = 1
    with pytest.raises(AssertionError, match="more connections than max_size"):
        core.check()


def test_close_stops_opening() -> None:
    core = make_core(max_size=2)
    (slot,) = fill(core, 1)
    assert core.request(1) is slot
    assert core.request(2) is True
    assert core.request(3) is False
    assert core.close() == []
    assert not core.is_reusable(slot, 0.0, 0)
    assert core.discard(slot) is False  # no replacement while closing
    assert core.open_failed() == (2, False)
    assert core.next_waiter() == 3 and core.next_waiter() is None
    assert core.floor_missing() == 0
    assert repr(core) == "<PoolCore size=0 in_use=0 idle=0 opening=0 waiting=0 max=2>"
