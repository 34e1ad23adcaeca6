"""Scenario settings in plain words, for text a board reads.

A configuration key such as ``interventions[0].max_recruits_wte.clinical_psychologist``
means nothing to a commissioner; "the cap on recruited clinical psychologists (WTE) of
intervention 'Recruit clinical psychologist'" does. `setting_label` turns any dotted path
of a scenario (as `experiments.changes.flatten` writes it) into such words, naming list items
by their own names where they have one. Unknown keys fall back to their words with units
spelt out, so a new scenario field never reaches the page as a bare key.
"""

from __future__ import annotations

import re

from nd_sim.scenario.models import Scenario

PROFESSIONS = {
    # key: (one, many)
    "paediatrician": ("paediatrician", "paediatricians"),
    "clinical_psychologist": ("clinical psychologist", "clinical psychologists"),
    "slt": ("speech and language therapist", "speech and language therapists"),
    "ot": ("occupational therapist", "occupational therapists"),
    "specialist_nurse": ("specialist nurse", "specialist nurses"),
    "educational_psychologist": ("educational psychologist", "educational psychologists"),
}

# The words for a field, wherever it appears (its owner is named separately).
FIELDS = {
    "accept": "share of referrals accepted",
    "accept_multiplier": "change in the share accepted (×)",
    "adhd": "ADHD share",
    "asd": "autism share",
    "assessments": "assessments bought",
    "autism": "autism share",
    "autism_and_adhd": "autism and ADHD share",
    "both": "autism and ADHD share",
    "budget_gbp": "budget (£)",
    "children": "resident children",
    "clinical_share": "share of time that is clinical",
    "cost_gbp_per_wte_year": "cost per WTE a year (£)",
    "count": "children",
    "delay_weeks_mean": "mean delay (weeks)",
    "discharge_after": "missed appointments before discharge",
    "every_weeks": "weeks between sessions",
    "from": "start date",
    "gap_weeks_to_next": "weeks to the next appointment",
    "growth_per_year": "growth in referrals a year",
    "horizon_weeks": "weeks simulated",
    "hours_per_wte_week": "hours per WTE a week",
    "kind": "kind",
    "lead_time_weeks": "booking lead time (weeks)",
    "leave_fraction": "share of time on leave",
    "max_share_of_hours": "most of the staff hours triage may take",
    "monthly_multipliers": "monthly pattern of referrals",
    "more_information": "share sent back for more information",
    "more_information_delay_weeks": "weeks to get more information",
    "multiplier": "multiplier on referrals",
    "name": "name",
    "need_met_share": "share whose need a workshop meets",
    "new_patient_share": "share of clinic hours for first appointments",
    "no_nd": "share with no neurodevelopmental diagnosis",
    "other_nd": "share with another neurodevelopmental diagnosis",
    "over_months": "months the money pays for",
    "panel_every_weeks": "weeks between triage panels",
    "places_per_session": "places per session",
    "price_gbp_each": "price of one assessment (£)",
    "probability": "probability",
    "ramp_up_weeks": "weeks to full productivity",
    "ramp_weeks": "weeks to ramp up",
    "recruitment_lag_weeks": "weeks to recruit",
    "referrals_per_week": "referrals a week",
    "share_of_new_slots": "share of first-appointment slots",
    "share_of_referrals": "share of referrals",
    "signpost": "share signposted elsewhere",
    "start_date": "start date",
    "teams": "teams",
    "districts": "districts",
    "until": "end date",
    "uptake": "share of families who sign up",
    "weekly_hazard": "share of waiting families who leave each week",
    "weeks_to_outcome": "weeks from first appointment to outcome",
    "weeks_waiting_max": "longest wait in the band (weeks)",
    "weeks_waiting_min": "shortest wait in the band (weeks)",
    "wte": "staff (WTE)",
}
# Fields that hold one value per profession: words for "<field>.<profession>".
BY_PROFESSION = {
    "max_recruits_wte": "the cap on recruited {many} (WTE)",
    "spend_on": "the share of the budget spent on {many}",
    "hours": "{one} hours",
    "hours_per_referral": "{one} hours per referral",
}
# Sections of the scenario: how a field is tied to the thing it belongs to ("" for fields
# whose own words say it).
SECTIONS = {
    "pathway.triage": "at the triage panel",
    "pathway.outcomes": "among assessment outcomes",
    "demand.referral_mix": "in the referral mix",
    "demand": "",
    "booking": "",
    "pathway.withdrawal": "",
    "run": "of the run",
}
# Whole paths whose words do not split into a field and its owner.
WHOLE = {
    "pathway.dna.probability": "chance a family misses an appointment",
    "pathway.dna.discharge_after": "missed appointments before discharge",
    "pathway.rereferral.probability": "chance of a new referral after leaving the list",
    "pathway.rereferral.delay_weeks_mean": "mean weeks until that new referral",
    "pathway.rereferral.after": "exits after which families may be referred again",
}
UNITS = (("_gbp", "£"), ("_wte", "WTE"), ("_weeks", "weeks"), ("_months", "months"))
_ITEM = re.compile(r"^([a-z_]+)\[(\d+)\]$")


def profession_words(key: str, many: bool = False) -> str:
    """A profession in words ("clinical psychologists"); unknown keys lose their underscores."""
    one, plural = PROFESSIONS.get(key, (key.replace("_", " "), key.replace("_", " ") + "s"))
    return plural if many else one


def field_words(name: str) -> str:
    """A field's words; an unknown field's name, its unit spelt out in brackets."""
    if name in FIELDS:
        return FIELDS[name]
    for suffix, unit in UNITS:
        if name.endswith(suffix):
            return f"{name.removesuffix(suffix).replace('_', ' ')} ({unit})"
    return name.replace("_", " ")


def setting_label(path: str, scenario: Scenario | None = None) -> str:
    """A dotted scenario path in plain words, e.g. "the cap on recruited clinical
    psychologists (WTE) of intervention 'Recruit clinical psychologist'".

    `scenario` supplies the names of list items (interventions, shocks, workshops,
    appointments); without it they are numbered from 1.
    """
    if path in WHOLE:
        return WHOLE[path]
    parts = path.split(".")
    if parts[0] == "teams" and len(parts) == 5 and parts[2] == "staff" and parts[4] == "wte":
        return f"{profession_words(parts[3], many=True)} in the {parts[1]} team (WTE)"
    # <field>.<profession> (max_recruits_wte, spend_on, hours, hours_per_referral)
    if len(parts) >= 2 and parts[-2] in BY_PROFESSION:
        template = BY_PROFESSION[parts[-2]]
        leaf = template.format(
            one=profession_words(parts[-1]), many=profession_words(parts[-1], many=True)
        )
        owner_parts = parts[:-2]
    else:
        leaf = field_words(parts[-1])
        owner_parts = parts[:-1]
    owner = _owner(owner_parts, scenario)
    return f"{leaf} {owner}" if owner else leaf


def _owner(parts: list[str], scenario: Scenario | None) -> str:
    """The thing a field belongs to, with the word that ties it ("of", "in", "at"); "" for a
    field that needs none."""
    if not parts:
        return ""
    dotted = ".".join(parts)
    if dotted in SECTIONS:
        return SECTIONS[dotted]
    if parts[0] == "teams" and len(parts) == 4 and parts[2] == "staff":
        return f"of {profession_words(parts[3], many=True)} in the {parts[1]} team"
    if parts[0] == "professions" and len(parts) == 2:
        return f"of every {profession_words(parts[1])}"
    if parts[0] == "districts" and len(parts) == 2:
        return f"in {parts[1]}"
    match = _ITEM.match(parts[-1])
    if match:
        where = ".".join([*parts[:-1], match.group(1)])
        item = _item(where, int(match.group(2)), scenario)
        return f"in {item}" if where == "pathway.appointments" else f"of {item}"
    return "of " + " ".join(p.replace("_", " ") for p in reversed(parts))


def _item(where: str, index: int, scenario: Scenario | None) -> str:
    """A list item named by its own name where it has one."""
    kinds = {
        "interventions": ("intervention", lambda s: s.interventions, "name"),
        "demand.shocks": ("demand change", lambda s: s.demand.shocks, "name"),
        "demand.criteria_changes": (
            "change of criteria",
            lambda s: s.demand.criteria_changes,
            "name",
        ),
        "pathway.workshops": ("workshop", lambda s: s.pathway.workshops, "kind"),
        "pathway.appointments": ("appointment", lambda s: s.pathway.appointments, "name"),
        "booking.priority_classes": (
            "priority class",
            lambda s: s.booking.priority_classes,
            "name",
        ),
        "starting_list.profile": ("starting-list band", lambda s: s.starting_list.profile, ""),
    }
    if where not in kinds:
        return f"item {index + 1} of {where.replace('_', ' ')}"
    noun, items, attribute = kinds[where]
    name = ""
    if scenario is not None and attribute:
        found = items(scenario)
        if index < len(found):
            name = str(getattr(found[index], attribute, ""))
    if where == "pathway.workshops" and name:
        return f"the {name} workshop"
    if where == "pathway.appointments" and name:
        return f"the {name} appointment"
    return f"{noun} '{name}'" if name else f"{noun} {index + 1}"
