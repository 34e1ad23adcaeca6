"""Pydantic models of a scenario file.

Every key carries its unit in its name and a description, because `docs/scenario.md`
and `nd-sim schema` are generated from these models: the models are the documentation.
Cross-references (a shock naming an unknown district, say) are checked in
:mod:`nd_sim.scenario.checks`, so that all problems are reported together.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from nd_sim.scenario.bounds import (
    MAX_REPLICATIONS,
    MAX_SEED,
    MAX_WEEKS,
    Code,
    Count,
    Date,
    Gbp,
    Hours,
    HoursPerWeek,
    Months,
    Multiplier,
    Name,
    PositiveWeeks,
    Probability,
    ReferralsPerWeek,
    Weeks,
    Wte,
    WteChange,
    normalise_code,
)

ALL = "all"


class Strict(BaseModel):
    """Base: unknown keys are errors, models are immutable, and types are strict.

    Strict types refuse a boolean or a string where a number belongs (``horizon_weeks =
    true`` once ran a one-week horizon), and non-finite numbers are refused everywhere.
    """

    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True, strict=True, allow_inf_nan=False
    )


class Profession(Strict):
    """Defaults for one profession; a team's staff entry may override any of them."""

    hours_per_wte_week: HoursPerWeek = Field(37.5, description="Contracted hours per WTE per week.")
    clinical_share: Probability = Field(
        0.6, description="Share of contracted hours spent on this pathway's clinical work."
    )
    leave_fraction: Probability = Field(
        0.15, description="Share of hours lost to annual leave, sickness and training."
    )
    cost_gbp_per_wte_year: Gbp = Field(
        0.0, description="Full employment cost of one WTE for a year (salary + on-costs), in £."
    )


class StaffGroup(Strict):
    """The staff of one profession in one team."""

    wte: Wte = Field(description="Whole-time equivalents in post at the start.")
    hours_per_wte_week: HoursPerWeek | None = Field(None, description="Overrides the profession.")
    clinical_share: Probability | None = Field(None, description="Overrides the profession.")
    leave_fraction: Probability | None = Field(None, description="Overrides the profession.")


class Team(Strict):
    """A team; the districts it serves name it in `districts.<name>.team`."""

    staff: dict[str, StaffGroup] = Field(
        default_factory=dict, description="Staff by profession name (declared in `professions`)."
    )


class ReferralMix(Strict):
    """Shares of referrals by pathway; they must sum to 1."""

    asd: Probability = Field(0.5, description="Share referred for autism (ASD) only.")
    adhd: Probability = Field(0.3, description="Share referred for ADHD only.")
    both: Probability = Field(0.2, description="Share referred for both ASD and ADHD.")


class District(Strict):
    """A district: where children live and are referred from."""

    team: Name = Field(description="The team (key of `teams`) that serves this district.")
    children: Count | None = Field(None, description="Resident children aged 0-17.")
    referrals_per_week: ReferralsPerWeek = Field(
        description="Baseline referrals per week at `start_date`, before growth and shocks."
    )
    referral_mix: ReferralMix | None = Field(None, description="Overrides `demand.referral_mix`.")


class Shock(Strict):
    """A multiplier on referrals over a date window: a surge, a pause (0) or a drop."""

    name: str = Field("shock", description="A label for reports.")
    districts: list[str] = Field(
        default_factory=lambda: [ALL], min_length=1, description='Or ["all"].'
    )
    multiplier: Multiplier = Field(description="Referrals are multiplied by this (0 = pause).")
    from_date: Date = Field(alias="from", description="First day of the shock.")
    until_date: Date | None = Field(
        None, alias="until", description="Day the shock ends (exclusive); none = never."
    )
    ramp_weeks: Weeks = Field(
        0.0, description="Weeks over which the multiplier ramps linearly from 1 to its value."
    )


class CriteriaChange(Strict):
    """A change to referral criteria: triage acceptance is scaled from a date."""

    name: str = Field("criteria change", description="A label for reports.")
    districts: list[str] = Field(
        default_factory=lambda: [ALL], min_length=1, description='Or ["all"].'
    )
    accept_multiplier: Multiplier = Field(
        description="Scales the triage accept probability; the rest is signposted."
    )
    from_date: Date = Field(alias="from", description="First day of the new criteria.")
    until_date: Date | None = Field(None, alias="until", description="End (exclusive).")


class Demand(Strict):
    """How referrals vary over time."""

    growth_per_year: float = Field(
        0.0, ge=-0.5, le=2.0, description="Compound annual growth of referrals (0.08 = 8%)."
    )
    seasonality: Annotated[Literal["none", "school_terms", "monthly"], Code] = Field(
        "none",
        description="`school_terms` uses the built-in English school-year profile; "
        "`monthly` uses `monthly_multipliers`.",
    )
    monthly_multipliers: list[Multiplier] | None = Field(
        None, description="Twelve multipliers, January first; normalised to mean 1."
    )
    referral_mix: ReferralMix = Field(
        default_factory=ReferralMix, description="Default pathway mix for every district."
    )
    shocks: list[Shock] = Field(default_factory=list, description="Surges and pauses.")
    criteria_changes: list[CriteriaChange] = Field(
        default_factory=list, description="Changes to the referral criteria."
    )


class Triage(Strict):
    """The triage panel that accepts, signposts or asks for more information."""

    enabled: bool = Field(True, description="false: every referral is accepted at once.")
    panel_every_weeks: int = Field(1, ge=1, le=52, description="Weeks between panels.")
    hours_per_referral: dict[str, Hours] = Field(
        default_factory=dict, description="Profession-hours each referral takes at the panel."
    )
    max_share_of_hours: Probability = Field(
        0.5,
        description="Most of a profession's weekly hours the panel may use; the rest is kept "
        "for appointments, so a surge of referrals queues at triage rather than stopping "
        "every assessment that needs the same profession.",
    )
    accept: Probability = Field(0.85, description="Probability a referral is accepted.")
    signpost: Probability = Field(0.10, description="Probability it is signposted elsewhere.")
    more_information: Probability = Field(
        0.05, description="Probability the panel asks for more information first."
    )
    more_information_delay_weeks: Weeks = Field(
        6.0, description="Weeks the request adds before the referral returns to the panel."
    )


class Workshop(Strict):
    """Group sessions offered to families while they wait."""

    kind: Name = Field(description="e.g. behaviour, sleep, sensory.")
    every_weeks: int = Field(4, ge=1, le=52, description="Weeks between sessions, per team.")
    places_per_session: int = Field(12, ge=0, le=10_000, description="Families per session.")
    uptake: Probability = Field(0.2, description="Share of accepted families who sign up.")
    need_met_share: Probability = Field(
        0.0,
        description="Share of attenders whose need is met, so they leave the assessment list "
        "(only while not yet booked for a first appointment).",
    )


class Appointment(Strict):
    """One appointment of the assessment, in order; the first is the initial appointment."""

    name: Name = Field(description="e.g. initial, assessment, mdt, feedback.")
    hours: dict[str, Hours] = Field(description="Profession-hours it takes.")
    gap_weeks_to_next: Weeks = Field(
        0.0, description="Minimum weeks before the next appointment can take place."
    )


class Outcomes(Strict):
    """Outcome shares of completed assessments; they must sum to 1."""

    autism: Probability = Field(0.50, description="Autism diagnosed.")
    adhd: Probability = Field(0.15, description="ADHD diagnosed.")
    autism_and_adhd: Probability = Field(0.10, description="Both diagnosed.")
    other_nd: Probability = Field(0.14, description="Another neurodevelopmental diagnosis.")
    no_nd: Probability = Field(0.11, description="No neurodevelopmental diagnosis.")


class Dna(Strict):
    """Did-not-attend: the slot's hours are spent and the child is rebooked."""

    probability: float = Field(
        0.0, ge=0.0, lt=1.0, description="Per booked appointment (below 1: someone must attend)."
    )
    discharge_after: int = Field(
        0, ge=0, le=100, description="Discharge (as withdrawn) after this many DNAs; 0 = never."
    )


class Withdrawal(Strict):
    """Families leaving the list (moved, went private, no longer need it)."""

    weekly_hazard: Probability = Field(
        0.0, description="Chance per week of leaving while not yet booked for a first appointment."
    )


class Rereferral(Strict):
    """Children who come back after leaving."""

    probability: Probability = Field(0.0, description="Chance of a new referral after an exit.")
    after: list[Annotated[Literal["signposted", "withdrawn", "no_nd", "met_by_workshop"], Code]] = (
        Field(default_factory=lambda: ["signposted", "no_nd"], description="Exits that can return.")
    )
    delay_weeks_mean: PositiveWeeks = Field(26.0, description="Mean weeks until the new referral.")


class Pathway(Strict):
    """The route from referral to outcome."""

    triage: Triage = Field(default_factory=Triage, description="The triage panel.")
    workshops: list[Workshop] = Field(
        default_factory=list,
        max_length=15,
        description="[] = no workshops; at most 15 kinds (each child's record of the "
        "workshops attended is a 16-bit mask).",
    )
    appointments: list[Appointment] = Field(min_length=1, description="In order.")
    outcomes: Outcomes = Field(
        default_factory=Outcomes, description="Outcome shares of completed assessments."
    )
    dna: Dna = Field(default_factory=Dna, description="Did-not-attend.")
    withdrawal: Withdrawal = Field(
        default_factory=Withdrawal, description="Families leaving the list."
    )
    rereferral: Rereferral = Field(
        default_factory=Rereferral, description="Children who come back after leaving."
    )


class PriorityClass(Strict):
    """A priority class of referral."""

    name: Name = Field(description="e.g. urgent, routine.")
    share_of_referrals: Probability = Field(description="Share of new referrals in the class.")
    share_of_new_slots: Probability = Field(
        1.0, description="With `queue_order = priority_shares`: share of new-patient slots."
    )


class Booking(Strict):
    """How the diary is filled."""

    queue_order: Annotated[
        Literal["referral_date", "priority_then_referral_date", "priority_shares"], Code
    ] = Field("referral_date", description="Order in which waiting children are offered slots.")
    lead_time_weeks: int = Field(
        0,
        ge=0,
        le=104,
        description="Minimum weeks between being ready for a slot and attending it.",
    )
    new_patient_share: Probability = Field(
        0.5,
        description="Share of each profession's hours offered first to initial appointments; "
        "hours one side leaves unused go to the other.",
    )
    priority_classes: list[PriorityClass] = Field(
        default_factory=lambda: [PriorityClass(name="routine", share_of_referrals=1.0)],
        min_length=1,
        description="Listed from most to least urgent.",
    )
    pools: list[list[str]] = Field(
        default_factory=list,
        description="Teams (keys of `teams`) that book initial appointments from one list in "
        'queue order, each with its own hours, e.g. [["north", "central"]].',
    )
    pool_travel_overhead_share: Probability = Field(
        0.0,
        description="Extra share of a first appointment's hours when a team sees a child "
        "from another team of its pool (travel).",
    )


class StaffChange(Strict):
    """WTE added (or lost, if negative) in one team from a date."""

    kind: Literal["staff_change"] = Field(description="Selects this kind of intervention.")
    name: str = Field("staff change", description="A label for reports.")
    team: str = Field(description="The team (key of `teams`).")
    profession: str = Field(description="The profession (key of `professions`).")
    wte: WteChange = Field(description="WTE added; negative for posts lost.")
    from_date: Date = Field(alias="from", description="Date the post is approved.")
    until_date: Date | None = Field(None, alias="until", description="Date the post ends.")
    recruitment_lag_weeks: Weeks = Field(0.0, description="Weeks before the start.")
    ramp_up_weeks: Weeks = Field(0.0, description="Weeks to reach full productivity.")


class Funding(Strict):
    """Money over a period, turned into fixed-term WTE through each profession's cost."""

    kind: Literal["funding"] = Field(description="Selects this kind of intervention.")
    name: str = Field("funding", description="A label for reports.")
    budget_gbp: Gbp = Field(description="The money, in £.")
    from_date: Date = Field(alias="from", description="Date the money is available.")
    over_months: Months = Field(description="Months the money pays for staff.")
    spend_on: dict[str, Probability] = Field(description="Share of the budget by profession.")
    teams: list[str] = Field(
        default_factory=lambda: [ALL],
        min_length=1,
        description="Split in proportion to baseline referrals.",
    )
    max_recruits_wte: dict[str, Wte] = Field(
        default_factory=dict, description="Cap on WTE recruited, by profession."
    )
    recruitment_lag_weeks: Weeks = Field(12.0, description="Weeks before staff start.")
    ramp_up_weeks: Weeks = Field(4.0, description="Weeks to reach full productivity.")


class Outsourcing(Strict):
    """Whole assessments bought from an outside provider over a window."""

    kind: Literal["outsourced_assessments"] = Field(
        description="Selects this kind of intervention."
    )
    name: str = Field("outsourced assessments", description="A label for reports.")
    assessments: Count = Field(description="Assessments bought over the window.")
    price_gbp_each: Gbp = Field(description="Price of one assessment, in £.")
    from_date: Date = Field(alias="from", description="First day of the window.")
    until_date: Date = Field(alias="until", description="Day the window ends (exclusive).")
    districts: list[str] = Field(
        default_factory=lambda: [ALL], min_length=1, description='Or ["all"].'
    )
    weeks_to_outcome: Weeks = Field(
        8.0, description="Weeks from the provider's first appointment to the outcome."
    )


class MutualAid(Strict):
    """Hours one team lends another: a share of one profession's hours, or a fixed number
    of hours a week, for a period (part may be lost to travel and handover)."""

    kind: Literal["mutual_aid"] = Field(description="Selects this kind of intervention.")
    name: str = Field("mutual aid", description="A label for reports.")
    lender: str = Field(description="The team that lends (key of `teams`).")
    borrower: str = Field(description="The team that receives the hours (key of `teams`).")
    profession: str = Field(description="The profession lent (key of `professions`).")
    share: Probability | None = Field(
        None, description="Share of the lender's hours of that profession lent each week."
    )
    hours_per_week: Hours | None = Field(
        None, description="Or: hours a week lent (at most what the lender has that week)."
    )
    overhead_share: Probability = Field(
        0.0, description="Share of the lent hours lost to travel and handover."
    )
    from_date: Date = Field(alias="from", description="First day of the loan.")
    until_date: Date = Field(alias="until", description="Day the loan ends (exclusive).")


Intervention = Annotated[
    StaffChange | Funding | Outsourcing | MutualAid, Field(discriminator="kind")
]


class ProfileBand(Strict):
    """Children already waiting, as a count in one band of weeks waited."""

    district: str = Field(description="The district (key of `districts`).")
    stage: Annotated[Literal["triage", "waiting_first", "in_assessment"], Code] = Field(
        "waiting_first", description="Where the children are."
    )
    weeks_waiting_min: Weeks = Field(description="Shortest wait in the band (weeks).")
    weeks_waiting_max: Weeks = Field(description="Longest wait in the band (weeks).")
    count: Count = Field(description="Children in the band.")


class StartingList(Strict):
    """Today's waiting list: a CSV snapshot or an age-of-wait profile (or both)."""

    csv: str | None = Field(None, description="Path, relative to the scenario file.")
    profile: list[ProfileBand] = Field(
        default_factory=list,
        description="Age-of-wait bands; referral dates are drawn uniformly within each band.",
    )


class UncertainInput(Strict):
    """How far one number of the scenario may be from its value, and how it is spread.

    Written beside the number: ``weekly_hazard = { value = 0.003, low = 0.001, high =
    0.006, note = "..." }``. With parameter uncertainty on, each replication draws the
    number once from this distribution; otherwise the number is its value.
    """

    low: float = Field(description="Smallest value it may take.")
    high: float = Field(description="Largest value it may take.")
    dist: Annotated[Literal["triangular", "uniform", "normal", "lognormal"], Code] = Field(
        "triangular",
        description="`triangular`: low, peak at the value, high. `uniform`: anywhere from "
        "low to high. `normal`: mean the value, standard deviation `sd`, cut at low and "
        "high. `lognormal`: median the value, `sd` of its logarithm, cut at low and high.",
    )
    sd: float | None = Field(
        None, gt=0.0, description="Standard deviation (of the logarithm, for `lognormal`)."
    )
    group: Name | None = Field(
        None,
        description="Inputs of one group draw the same quantile, so they move together: e.g. "
        "every district's referrals, when what is unknown is the county's level.",
    )

    @model_validator(mode="after")
    def _consistent(self) -> UncertainInput:
        if self.low > self.high:
            raise ValueError(f"low ({self.low}) must not be above high ({self.high})")
        spread = self.dist in ("normal", "lognormal")
        if spread and self.sd is None:
            raise ValueError(f"dist = {self.dist!r} needs sd (its standard deviation)")
        if not spread and self.sd is not None:
            raise ValueError(f"sd is only for normal and lognormal, not {self.dist!r}")
        if self.dist == "lognormal" and self.low <= 0:
            raise ValueError(f"lognormal needs low above 0 (it is {self.low})")
        return self


class RunDefaults(Strict):
    """Defaults for `nd-sim run`; the command line overrides them."""

    replications: int = Field(20, ge=1, le=MAX_REPLICATIONS, description="Replications per run.")
    seed: int = Field(
        20260401,
        ge=0,
        le=MAX_SEED,
        description="Base seed of the random streams; same seed, same results.",
    )
    parameter_uncertainty: bool = Field(
        False,
        description="Draw every uncertain input (a number written with `low` and `high`) "
        "once per replication, so that the bands include uncertainty in the assumptions as "
        "well as chance.",
    )


class Scenario(Strict):
    """A whole scenario."""

    name: Name = Field(description="The scenario's name, shown in reports and results folders.")
    description: str = Field("", description="A sentence or two on what the scenario asks.")
    extends: str | None = Field(None, description="Parent scenario, relative to this file.")
    start_date: Date = Field(description="Day 0 of the simulation (the date of the starting list).")
    horizon_weeks: int = Field(ge=1, le=MAX_WEEKS, description="Weeks simulated from `start_date`.")
    run: RunDefaults = Field(default_factory=RunDefaults, description="Defaults for `nd-sim run`.")
    professions: dict[str, Profession] = Field(
        min_length=1, description="Professions by name, with their hours and costs."
    )
    teams: dict[str, Team] = Field(min_length=1, description="Teams by name, with their staff.")
    districts: dict[str, District] = Field(min_length=1, description="Districts by name.")
    demand: Demand = Field(default_factory=Demand, description="How referrals vary over time.")
    pathway: Pathway = Field(description="The route from referral to outcome.")
    booking: Booking = Field(default_factory=Booking, description="How the diary is filled.")
    interventions: list[Intervention] = Field(
        default_factory=list, description="Staff changes, funding and outsourcing, by `kind`."
    )
    starting_list: StartingList = Field(
        default_factory=StartingList, description="Today's waiting list."
    )
    notes: dict[str, str] = Field(
        default_factory=dict,
        description="Source notes by dotted path; the loader adds every `{ value, note }`.",
    )
    uncertain: dict[str, UncertainInput] = Field(
        default_factory=dict,
        description='Ranges by dotted path (`"pathway.dna.probability" = { low = 0.05, '
        "high = 0.15 }`); the loader adds every `{ value, low, high }`.",
    )

    @field_validator("interventions", mode="before")
    @classmethod
    def _normalise_kinds(cls, value: object) -> object:
        """`kind = "Funding "` selects the funding kind, as every other code is matched."""
        if not isinstance(value, list):
            return value
        return [
            {**item, "kind": normalise_code(item["kind"])}
            if isinstance(item, dict) and "kind" in item
            else item
            for item in value
        ]
