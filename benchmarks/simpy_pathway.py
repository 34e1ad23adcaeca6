"""A plain, idiomatic SimPy model of the Lancashire pathway: the speed yardstick for nd-sim.

"nd-sim is N times faster than a plain SimPy model of the same pathway" needs a SimPy model
written the way a competent modeller would naturally write it, not vectorised or tuned, but
correct and doing the same work. This is that model. It reads ``scenarios/lancashire.toml``
(or any scenario of the same shape that does not ``extends`` another) and simulates, from an
empty list (no starting waiting list), in weeks:

- **Referrals**: one generator process per district, Poisson arrivals (exponential gaps
  ``env.timeout(expovariate(referrals_per_week))``); each referral is one ``env.process``.
- **Triage panel**: a weekly process per team (every ``panel_every_weeks``) takes the referrals
  waiting in a ``simpy.Store`` (those back with more information first, from a second
  ``Store``), spends ``hours_per_referral`` of the nurse's and psychologist's hours on each, at
  most ``max_share_of_hours`` of their week, and accepts, signposts (an exit) or asks for more
  information (back to the panel ``more_information_delay_weeks`` later, then accepted with
  probability accept / (accept + signpost), else signposted).
- **Workshops**: at acceptance the family signs up for each kind with probability ``uptake``
  (a ``Store`` per team and kind); a session every ``every_weeks`` takes up to
  ``places_per_session`` families in sign-up order, and a child not yet seen nor booked leaves
  as ``met_by_workshop`` with probability ``need_met_share`` (the session interrupts the
  child's process: ``process.interrupt()``).
- **Capacity**: each team's clinical hours a week per profession,
  ``wte * hours_per_wte_week * clinical_share * (1 - leave_fraction)``, are a
  ``simpy.Container`` per team and profession, emptied and refilled each week by the team's
  weekly process (hours not used in a week are lost).
- **Booking**: the clinic week is a **sorted waiting list served weekly**, not a
  ``PriorityResource``: an appointment needs hours of *several* professions at once, which a
  resource of servers does not express, and a ``Container.get`` per profession would hold one
  profession's hours while waiting for another's. So each team keeps a
  ``simpy.PriorityStore`` of children waiting for a first appointment, keyed by (priority
  class, referral time), and a FIFO ``simpy.Store`` per later appointment (in the order
  children became ready). Each week (after the panel) the team's process books the head of each
  queue while every profession the appointment needs still has the hours in its ``Container``:
  follow-ups first, latest appointment first ("finish what is started"), within the
  ``1 - new_patient_share`` of each profession's hours; then first appointments within the
  other ``new_patient_share``; then follow-ups, then first appointments, with whatever is left.
  A booked child's ``booked`` event succeeds with the appointment time, ``lead_time_weeks``
  after acceptance at the earliest.
- **Appointments, DNA**: the child waits for its appointment (``env.timeout``); it does not
  attend with probability ``dna.probability`` (the slot's hours are spent, counted as held):
  a missed first appointment goes back through the lead time to its old place in the queue, a
  missed later one is rebooked the next week; the ``discharge_after``-th DNA discharges the
  child (recorded as withdrawn). After appointment *i* in week *w* the child is ready for the
  next one from the start of week *w* + max(1, ``gap_weeks_to_next``); at the last one it gets
  an outcome from ``pathway.outcomes`` and leaves as ``assessed``.
- **Withdrawal**: each family's patience is one ``env.timeout`` (exponential, weekly hazard
  ``withdrawal.weekly_hazard``) made at referral and raced, ``event | patience``, against every
  wait before the first appointment: the panel, more information, the lead time and the queue
  (a child who left stays in the queue and is skipped when it reaches the front).
- **Re-referral**: after an exit listed in ``rereferral.after`` (an exit or an outcome, here
  signposted and no ND diagnosis) the child comes back with probability ``probability`` after
  an exponential delay (mean ``delay_weeks_mean``), as a new referral of the same district and
  priority class.

The weekly timetable is nd-sim's (panel on day 0 of the week, booking on 0.2, appointments on
2.5, workshops on 3.5). Randomness: each district has its own ``random.Random`` stream (and one
for its re-referrals), and each child's habits (priority class, patience, triage, workshop,
DNA, outcome and re-referral draws) are drawn from it when the child is referred, so the same
seed gives the same result and a scenario with more staff sees the same children (common
random numbers).

Simplified against nd-sim: no starting list, no referral growth, seasonality or shocks
(constant Poisson rates), no referral mix (ASD/ADHD; it changes nothing in the baseline), no
interventions (staff changes, funding, outsourcing, pooled lists), only the
``priority_then_referral_date`` and ``referral_date`` queue orders; and after a missed first
appointment the family's patience is not extended by the days it was booked.

Run: ``python benchmarks/simpy_pathway.py [--seed 1] [--weeks 260]`` times one run.
"""

from __future__ import annotations

import argparse
import math
import random
import time
import tomllib
from pathlib import Path

import simpy

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "lancashire.toml"

# nd-sim's weekly timetable, in weeks from the start of the week (days 0, 0.2, 2.5 and 3.5)
PANEL, BOOKING, APPOINTMENT, WORKSHOP = 0.0, 0.2 / 7, 2.5 / 7, 3.5 / 7
EXITS = ("assessed", "signposted", "withdrawn", "met_by_workshop")


def value(x):
    """A number as the scenario writes it: plain, or a ``{ value = ..., note = ... }`` table."""
    return x["value"] if isinstance(x, dict) else x


class Scenario:
    """The numbers of the scenario file that the model uses."""

    def __init__(self, path: Path, horizon_weeks: int | None = None, wte_scale: float = 1.0):
        with open(path, "rb") as f:
            data = tomllib.load(f)
        if "extends" in data:
            raise ValueError(f"{path}: scenarios that extend another are not supported here")
        self.name = data.get("name", Path(path).stem)
        self.start = data["start_date"]
        self.horizon = value(data["horizon_weeks"]) if horizon_weeks is None else horizon_weeks

        # clinical hours a week, per team and profession (a staff entry may override the
        # profession's hours, clinical share or leave)
        professions = data["professions"]
        self.hours: dict[str, dict[str, float]] = {}
        for team, spec in data["teams"].items():
            self.hours[team] = {}
            for prof, staff in spec.get("staff", {}).items():
                p = {**professions[prof], **staff}
                self.hours[team][prof] = (
                    wte_scale
                    * value(p["wte"])
                    * value(p["hours_per_wte_week"])
                    * value(p["clinical_share"])
                    * (1 - value(p["leave_fraction"]))
                )
        self.districts = {
            name: (d["team"], value(d["referrals_per_week"]))
            for name, d in data["districts"].items()
        }

        pathway = data["pathway"]
        triage = pathway.get("triage", {})
        self.triage = triage.get("enabled", True)
        self.panel_every = int(value(triage.get("panel_every_weeks", 1)))
        self.triage_hours = {p: value(h) for p, h in triage.get("hours_per_referral", {}).items()}
        self.triage_share = value(triage.get("max_share_of_hours", 0.5))
        self.accept = value(triage.get("accept", 1.0))
        self.signpost = value(triage.get("signpost", 0.0))
        self.more_info_delay = value(triage.get("more_information_delay_weeks", 0.0))

        self.workshops = [
            (
                value(w["every_weeks"]),
                int(value(w["places_per_session"])),
                value(w["uptake"]),
                value(w["need_met_share"]),
            )
            for w in pathway.get("workshops", [])
        ]
        self.steps = [
            ({p: value(h) for p, h in a["hours"].items()}, value(a.get("gap_weeks_to_next", 0)))
            for a in pathway["appointments"]
        ]
        dna = pathway.get("dna", {})
        self.dna = value(dna.get("probability", 0.0))
        self.discharge_after = int(value(dna.get("discharge_after", 0)))
        hazard = value(pathway.get("withdrawal", {}).get("weekly_hazard", 0.0))
        self.withdrawal_rate = -math.log(1 - hazard)  # per week
        self.outcomes = [(name, value(p)) for name, p in pathway["outcomes"].items()]
        rereferral = pathway.get("rereferral", {})
        self.rereferral = value(rereferral.get("probability", 0.0))
        self.rereferral_after = set(rereferral.get("after", []))
        self.rereferral_delay = value(rereferral.get("delay_weeks_mean", 26.0))

        booking = data.get("booking", {})
        order = booking.get("queue_order", "priority_then_referral_date")
        if order not in ("priority_then_referral_date", "referral_date"):
            raise ValueError(f"queue_order {order!r} is not supported here")
        self.by_priority = order == "priority_then_referral_date"
        self.lead_time = value(booking.get("lead_time_weeks", 0))
        self.new_patient_share = value(booking.get("new_patient_share", 0.0))
        classes = booking.get("priority_classes", [{"share_of_referrals": 1.0}])
        self.priority_shares = [value(c["share_of_referrals"]) for c in classes]


def draw(rng: random.Random, probabilities: list[float]) -> int:
    """The index of a category drawn with these probabilities."""
    u, total = rng.random() * sum(probabilities), 0.0
    for i, p in enumerate(probabilities):
        total += p
        if u < total:
            return i
    return len(probabilities) - 1


class Child:
    """One referral, with the habits drawn for it when it is referred."""

    def __init__(self, ident: int, district: str, team: str, now: float, rng, s: Scenario):
        self.id = ident
        self.district = district
        self.team = team
        self.referred = now
        self.priority = draw(rng, s.priority_shares)
        self.patience = rng.expovariate(s.withdrawal_rate) if s.withdrawal_rate > 0 else math.inf
        self.triage_u = (rng.random(), rng.random())
        self.signs_up = [rng.random() < uptake for _, _, uptake, _ in s.workshops]
        self.need_met = [rng.random() < met for _, _, _, met in s.workshops]
        self.dnas = [0] * len(s.steps)  # DNAs before attending each appointment (geometric)
        for i in range(len(s.steps)):
            while rng.random() < s.dna:
                self.dnas[i] += 1
        self.outcome = s.outcomes[draw(rng, [p for _, p in s.outcomes])][0]
        self.comes_back = rng.random() < s.rereferral
        self.return_delay = rng.expovariate(1 / s.rereferral_delay)
        self.open = True  # still on the pathway
        self.waiting = False  # accepted, waiting for a first appointment and not booked
        self.n_dna = 0
        self.decision: simpy.Event | None = None  # the panel's
        self.booked: simpy.Event | None = None  # the clinic's: the appointment time
        self.process: simpy.Process | None = None


class Team:
    """A team's clinic hours, queues, weekly panel and booking, and workshop sessions."""

    def __init__(self, model: Pathway, name: str):
        env, s = model.env, model.s
        self.env, self.s, self.model = env, s, model
        self.weekly = {p: h for p, h in s.hours[name].items() if h > 0}
        self.hours = {p: simpy.Container(env, capacity=h, init=0) for p, h in self.weekly.items()}
        self.triage = simpy.Store(env)
        self.returning = simpy.Store(env)  # back with more information: seen first
        # queues[0]: first appointments by (priority class, referral time); then FIFO stores
        self.queues = [simpy.PriorityStore(env)] + [simpy.Store(env) for _ in s.steps[1:]]
        self.signups = [simpy.Store(env) for _ in s.workshops]
        env.process(self.weeks())
        for k in range(len(s.workshops)):
            env.process(self.workshop(k))

    def weeks(self):
        """Each week: new hours, the triage panel, then the week's diary."""
        week = 0
        while True:
            for prof, hours in self.hours.items():  # unused hours are lost
                if hours.level > 0:
                    yield hours.get(hours.level)
                yield hours.put(self.weekly[prof])
            if self.s.triage and week % self.s.panel_every == 0:
                yield from self.panel()
            yield self.env.timeout(week + BOOKING - self.env.now)
            yield from self.book(week + APPOINTMENT)
            week += 1
            yield self.env.timeout(week + PANEL - self.env.now)

    # ------------------------------------------------------------------ triage
    def panel(self):
        """Decide referrals in order (returning ones first) while the panel has hours."""
        used = dict.fromkeys(self.s.triage_hours, 0.0)
        for queue, returning in ((self.returning, True), (self.triage, False)):
            while queue.items:
                if not queue.items[0].open:  # the family left while waiting for the panel
                    yield queue.get()
                    continue
                if not self.panel_has_hours(used):
                    return
                child = yield queue.get()
                for prof, h in self.s.triage_hours.items():
                    yield self.hours[prof].get(h)
                    used[prof] += h
                child.decision.succeed(self.decide(child, returning))

    def panel_has_hours(self, used: dict[str, float]) -> bool:
        for prof, h in self.s.triage_hours.items():
            hours = self.hours.get(prof)
            if hours is None or hours.level < h:
                return False
            if used[prof] + h > self.s.triage_share * self.weekly[prof]:
                return False
        return True

    def decide(self, child: Child, returning: bool) -> str:
        s = self.s
        if returning:
            accept = s.accept / (s.accept + s.signpost) if s.accept + s.signpost > 0 else 1.0
            return "accept" if child.triage_u[1] < accept else "signposted"
        u = child.triage_u[0]
        if u < s.accept:
            return "accept"
        if u < s.accept + s.signpost:
            return "signposted"
        return "more_information"

    # ------------------------------------------------------------------ booking
    def book(self, when: float):
        """Fill the week's diary: follow-ups and first appointments each within their share of
        every profession's hours, then both again (follow-ups first) with the hours left."""
        new = {p: self.s.new_patient_share * h.level for p, h in self.hours.items()}
        later = range(len(self.s.steps) - 1, 0, -1)
        for step in later:  # leaving first appointments their share
            yield from self.book_queue(step, when, new)
        unused = {p: h.level - new[p] for p, h in self.hours.items()}  # the follow-ups' share
        yield from self.book_queue(0, when, unused)
        for step in later:
            yield from self.book_queue(step, when, None)
        yield from self.book_queue(0, when, None)

    def book_queue(self, step: int, when: float, keep: dict[str, float] | None):
        """Book the head of one queue while the appointment's hours are there."""
        queue, need = self.queues[step], self.s.steps[step][0]
        while queue.items:
            head = queue.items[0]
            child = head.item if step == 0 else head
            if not child.open:  # left the list: skipped at the front
                yield queue.get()
                continue
            if not self.fits(need, keep):
                return
            yield queue.get()
            for prof, h in need.items():
                yield self.hours[prof].get(h)
            child.waiting = False
            child.booked.succeed(when)

    def fits(self, need: dict[str, float], keep: dict[str, float] | None) -> bool:
        for prof, h in need.items():
            hours = self.hours.get(prof)
            if hours is None or hours.level - h < (keep[prof] if keep else 0.0):
                return False
        return True

    # ------------------------------------------------------------------ workshops
    def workshop(self, k: int):
        """A session every few weeks for the families who signed up, in sign-up order."""
        every, places, _, _ = self.s.workshops[k]
        session = 0.0
        while True:
            yield self.env.timeout(session + WORKSHOP - self.env.now)
            signups, attended = self.signups[k], 0
            while signups.items and attended < places:
                child = yield signups.get()
                if not child.open:
                    continue
                attended += 1
                if child.waiting and child.need_met[k]:
                    child.waiting = False
                    child.process.interrupt("met_by_workshop")
            session += every


class Pathway:
    """The whole model: districts, teams, children and the counts."""

    def __init__(self, s: Scenario, seed: int):
        self.s = s
        self.env = simpy.Environment()
        self.teams = {name: Team(self, name) for name in s.hours}
        self.children: list[Child] = []
        self.rereferrals = 0
        self.appointments = 0
        self.first_appointments = 0
        self.weeks_to_first = 0.0
        self.dna = 0
        self.exits = dict.fromkeys(EXITS, 0)
        self.outcomes = dict.fromkeys((name for name, _ in s.outcomes), 0)
        self.returns_rng = {}
        for district, (team, rate) in s.districts.items():
            rng = random.Random(f"{seed}/{district}")
            self.returns_rng[district] = random.Random(f"{seed}/{district}/returns")
            if rate > 0:
                self.env.process(self.referrals(district, team, rate, rng))

    def referrals(self, district: str, team: str, rate: float, rng: random.Random):
        """Poisson referrals from one district."""
        while True:
            yield self.env.timeout(rng.expovariate(rate))
            self.env.process(self.child(self.refer(district, team, rng)))

    def refer(self, district: str, team: str, rng: random.Random) -> Child:
        child = Child(len(self.children), district, team, self.env.now, rng, self.s)
        self.children.append(child)
        return child

    def child(self, child: Child):
        """One child's pathway, from referral to its exit."""
        child.process = self.env.active_process
        patience = self.env.timeout(child.patience)  # math.inf: never leaves
        try:
            exit_ = yield from self.journey(child, self.teams[child.team], patience)
        except simpy.Interrupt:
            exit_ = "met_by_workshop"
        self.leave(child, exit_)

    def journey(self, child: Child, team: Team, patience: simpy.Event):
        """Triage, the wait for a first appointment, then the appointments; returns the exit."""
        env, s = self.env, self.s
        if s.triage:
            child.decision = env.event()
            yield team.triage.put(child)
            yield child.decision | patience
            if not child.decision.triggered:
                return "withdrawn"
            if child.decision.value == "more_information":
                more_information = env.timeout(s.more_info_delay)
                yield more_information | patience
                if not more_information.processed:
                    return "withdrawn"
                child.decision = env.event()
                yield team.returning.put(child)
                yield child.decision | patience
                if not child.decision.triggered:
                    return "withdrawn"
            if child.decision.value != "accept":
                return child.decision.value
        child.waiting = True
        for k, signs_up in enumerate(child.signs_up):
            if signs_up:
                yield team.signups[k].put(child)
        key = (child.priority if s.by_priority else 0, child.referred, child.id)
        step = 0
        while step < len(s.steps):
            child.booked = env.event()
            if step == 0:  # through the booking lead time to the new-patient queue
                lead_time = env.timeout(s.lead_time)
                yield lead_time | patience
                if not lead_time.processed:
                    return "withdrawn"
                yield team.queues[0].put(simpy.PriorityItem(key, child))
                yield child.booked | patience
                if not child.booked.triggered:
                    return "withdrawn"
            else:
                yield team.queues[step].put(child)
                yield child.booked
            yield env.timeout(child.booked.value - env.now)
            self.appointments += 1
            if child.dnas[step]:  # did not attend: the hours are spent, rebook
                child.dnas[step] -= 1
                child.n_dna += 1
                self.dna += 1
                if s.discharge_after and child.n_dna >= s.discharge_after:
                    return "withdrawn"
                child.waiting = step == 0
                continue
            if step == 0:
                self.first_appointments += 1
                self.weeks_to_first += env.now - child.referred
            gap = s.steps[step][1]
            step += 1
            if step < len(s.steps):  # ready from the start of a later week
                ready = math.floor(env.now) + max(1, math.ceil(gap))
                yield env.timeout(ready - env.now)
        self.outcomes[child.outcome] += 1
        return "assessed"

    def leave(self, child: Child, exit_: str) -> None:
        if not child.open:
            raise RuntimeError(f"child {child.id} left twice")
        child.open = child.waiting = False
        self.exits[exit_] += 1
        s = self.s
        if (
            child.comes_back
            and (
                exit_ in s.rereferral_after
                or (exit_ == "assessed" and child.outcome in s.rereferral_after)
            )
            and self.env.now + child.return_delay < s.horizon
        ):
            self.env.process(self.come_back(child))

    def come_back(self, parent: Child):
        """Re-referral: a new referral of the same district and priority class."""
        yield self.env.timeout(parent.return_delay)
        child = self.refer(parent.district, parent.team, self.returns_rng[parent.district])
        child.priority = parent.priority
        self.rereferrals += 1
        yield from self.child(child)

    def results(self) -> dict:
        s = self.s
        return {
            "scenario": s.name,
            "start": str(s.start),
            "horizon_weeks": s.horizon,
            "children": len(self.children),
            "rereferrals": self.rereferrals,
            "appointments": self.appointments,
            "first_appointments": self.first_appointments,
            "dna": self.dna,
            **self.exits,
            "waiting_end": sum(child.open for child in self.children),
            "outcomes": dict(self.outcomes),
            "mean_weeks_to_first": self.weeks_to_first / max(1, self.first_appointments),
        }


def run(
    scenario_path: Path, seed: int, horizon_weeks: int | None = None, wte_scale: float = 1.0
) -> dict:
    """One run from an empty list; ``wte_scale`` multiplies every team's staff."""
    s = Scenario(Path(scenario_path), horizon_weeks, wte_scale)
    model = Pathway(s, seed)
    model.env.run(until=s.horizon)
    return model.results()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", type=Path, default=SCENARIO)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--weeks", type=int, default=None, help="horizon (default: scenario's)")
    args = parser.parse_args()
    start = time.perf_counter()
    result = run(args.scenario, args.seed, args.weeks)
    seconds = time.perf_counter() - start
    print(
        f"{result['scenario']}: {result['horizon_weeks']} weeks, seed {args.seed}: "
        f"{seconds:.2f} s, {result['children']:,} children, "
        f"{result['appointments']:,} appointments"
    )
    print(
        f"  assessed {result['assessed']:,}, signposted {result['signposted']:,}, "
        f"withdrawn {result['withdrawn']:,}, met by workshop {result['met_by_workshop']:,}, "
        f"waiting at the end {result['waiting_end']:,}; "
        f"mean wait to a first appointment {result['mean_weeks_to_first']:.1f} weeks"
    )
    print(
        f"  {result['children'] / seconds:,.0f} children/s, "
        f"{result['appointments'] / seconds:,.0f} appointments/s"
    )


if __name__ == "__main__":
    main()
