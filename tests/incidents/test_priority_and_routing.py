"""Priority = impact x urgency over the administrator's matrix, and routing to a support group."""

import pytest
from django.core.exceptions import ValidationError

from incidents.choices import Impact, Urgency
from incidents.models import Incident, PriorityLevel, PriorityMatrixCell
from incidents.priority import (
    current_matrix,
    forget_priority_data,
    priority_for,
    priority_levels,
)
from incidents.routing import route_incident
from incidents.services import incident_update
from servicedesk.models import NumberCounter
from tests.incidents.factories import (
    AgentFactory,
    CategoryFactory,
    ConfigurationItemFactory,
    EndUserFactory,
    RoutingRuleFactory,
    ServiceFactory,
    SubcategoryFactory,
    SupportGroupFactory,
    audit_events,
    incident,
)

# ITIL.md, "Priority = impact x urgency (seed example, verbatim)": rows are urgency, columns
# impact (High, Medium, Low).
ITIL_TABLE = {
    "high": [1, 2, 3],
    "medium": [2, 3, 4],
    "low": [4, 5, 6],
}
IMPACT_COLUMNS = ["high", "medium", "low"]
UNDEFINED_IN_SEED = {6: 5}  # the seed's matrix says 6, a level it never defines: Planning
ITIL_LEVELS = [
    (1, "Critical", 60),
    (2, "High", 8 * 60),
    (3, "Medium", 24 * 60),
    (4, "Low", 48 * 60),
    (5, "Planning", None),
]


def expected_cells():
    return {
        (impact, urgency): UNDEFINED_IN_SEED.get(level, level)
        for urgency, row in ITIL_TABLE.items()
        for impact, level in zip(IMPACT_COLUMNS, row, strict=True)
    }


@pytest.fixture(autouse=True)
def fresh_priority_cache():
    """The matrix is cached without expiry in the shared cache: start and end each test clean."""
    forget_priority_data()
    yield
    forget_priority_data()


@pytest.fixture
def private_cache(settings):
    """A cache of this test's own, for tests that edit the matrix: other test runs sharing the
    Redis cache never see the edited copy."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "incident-priority-tests",
        }
    }
    forget_priority_data()
    yield
    forget_priority_data()


# --- Priority ---------------------------------------------------------------------------------


@pytest.mark.django_db
class TestSeededMatrix:
    def test_the_seed_has_exactly_the_nine_cells_of_the_itil_table(self):
        stored = {
            (impact, urgency): level
            for impact, urgency, level in PriorityMatrixCell.objects.values_list(
                "impact", "urgency", "priority_id"
            )
        }
        assert PriorityMatrixCell.objects.count() == 9
        assert stored == expected_cells()

    def test_the_cached_matrix_is_the_stored_one(self):
        assert current_matrix() == expected_cells()

    def test_urgency_low_and_impact_low_is_planning(self):
        cell = PriorityMatrixCell.objects.get(impact="low", urgency="low")
        assert cell.priority_id == 5
        assert cell.priority.name == "Planning"

    @pytest.mark.parametrize(
        ("urgency", "impact", "level"),
        [
            (urgency, impact, UNDEFINED_IN_SEED.get(level, level))
            for urgency, row in ITIL_TABLE.items()
            for impact, level in zip(IMPACT_COLUMNS, row, strict=True)
        ],
    )
    def test_a_new_incident_takes_the_cell_of_its_impact_and_urgency(self, urgency, impact, level):
        created = incident(impact=impact, urgency=urgency)
        assert created.priority == level
        created.refresh_from_db()
        assert created.priority == level

    def test_levels_one_to_five_with_names_and_targets(self):
        rows = list(
            PriorityLevel.objects.order_by("level").values_list(
                "level", "name", "target_resolution_minutes"
            )
        )
        assert rows == ITIL_LEVELS
        assert {
            level: (row["name"], row["target_resolution_minutes"])
            for level, row in priority_levels().items()
        } == {level: (name, minutes) for level, name, minutes in ITIL_LEVELS}

    def test_every_cell_points_at_a_defined_level(self):
        levels = set(PriorityLevel.objects.values_list("level", flat=True))
        assert set(current_matrix().values()) <= levels


class TestPriorityForIsPure:
    """No `db` mark: any database access would fail these tests."""

    MATRIX = {("high", "high"): 1, ("low", "low"): 9}

    def test_it_reads_the_matrix_it_is_given(self):
        assert priority_for("high", "high", self.MATRIX) == 1
        assert priority_for("low", "low", self.MATRIX) == 9

    def test_same_inputs_same_answer_and_the_matrix_is_left_alone(self):
        before = dict(self.MATRIX)
        answers = {priority_for("low", "low", self.MATRIX) for _ in range(3)}
        assert answers == {9}
        assert before == self.MATRIX

    def test_a_pair_the_matrix_lacks_is_a_key_error(self):
        with pytest.raises(KeyError):
            priority_for("medium", "high", self.MATRIX)


@pytest.mark.django_db
@pytest.mark.usefixtures("private_cache")
class TestEditingTheMatrix:
    def test_an_edited_cell_gives_the_next_incident_its_new_priority(self):
        assert incident(impact="low", urgency="low").priority == 5
        PriorityMatrixCell.objects.filter(impact="low", urgency="low").update(priority_id=2)
        forget_priority_data()  # what the admin's save does
        assert incident(impact="low", urgency="low").priority == 2
        assert incident(impact="high", urgency="high").priority == 1  # other cells unchanged

    def test_without_forgetting_the_cache_the_old_matrix_is_still_used(self):
        # Documents why a bulk write must retire the copies: a queryset's update sends no
        # signal, and the matrix is kept without expiry.
        assert incident(impact="low", urgency="low").priority == 5
        PriorityMatrixCell.objects.filter(impact="low", urgency="low").update(priority_id=2)
        assert current_matrix()[("low", "low")] == 5
        forget_priority_data()
        assert incident(impact="low", urgency="low").priority == 2

    def test_a_missing_cell_is_a_field_error_and_nothing_is_saved(self):
        PriorityMatrixCell.objects.filter(impact="low", urgency="low").delete()
        forget_priority_data()
        before = Incident.objects.count()
        with pytest.raises(ValidationError) as error:
            incident(impact="low", urgency="low")
        assert "urgency" in error.value.message_dict
        assert Incident.objects.count() == before


@pytest.mark.django_db
class TestChangingImpactOrUrgency:
    def test_a_new_urgency_recomputes_the_priority_and_audits_it(self):
        agent = AgentFactory()
        created = incident(actor=agent, impact="medium", urgency="medium")
        assert created.priority == 3
        updated = incident_update(incident_id=created.pk, actor=agent, changes={"urgency": "high"})
        assert updated.priority == 2
        created.refresh_from_db()
        assert (created.urgency, created.priority) == ("high", 2)
        event = audit_events(created, field="priority").get()
        assert (event.old_value, event.new_value, event.actor) == (3, 2, agent)
        assert audit_events(created, field="urgency").get().new_value == "high"

    def test_a_new_impact_recomputes_the_priority(self):
        agent = AgentFactory()
        created = incident(actor=agent, impact="low", urgency="high")
        assert created.priority == 3
        incident_update(incident_id=created.pk, actor=agent, changes={"impact": "high"})
        created.refresh_from_db()
        assert created.priority == 1
        event = audit_events(created, field="priority").get()
        assert (event.old_value, event.new_value) == (3, 1)

    def test_both_at_once(self):
        agent = AgentFactory()
        created = incident(actor=agent, impact="high", urgency="high")
        incident_update(
            incident_id=created.pk, actor=agent, changes={"impact": "low", "urgency": "low"}
        )
        created.refresh_from_db()
        assert created.priority == 5

    def test_a_change_that_keeps_the_priority_writes_no_priority_event(self):
        agent = AgentFactory()
        created = incident(actor=agent, impact="high", urgency="medium")  # 2
        incident_update(
            incident_id=created.pk, actor=agent, changes={"impact": "medium", "urgency": "high"}
        )  # still 2
        created.refresh_from_db()
        assert created.priority == 2
        assert not audit_events(created, field="priority").exists()

    def test_an_unknown_impact_is_refused_and_nothing_changes(self):
        agent = AgentFactory()
        created = incident(actor=agent, impact="medium", urgency="medium")
        with pytest.raises(ValidationError) as error:
            incident_update(incident_id=created.pk, actor=agent, changes={"impact": "huge"})
        assert "impact" in error.value.message_dict
        created.refresh_from_db()
        assert (created.impact, created.priority, created.version) == ("medium", 3, 1)

    def test_the_choices_cover_the_matrix(self):
        assert set(Impact.values) == set(IMPACT_COLUMNS)
        assert set(Urgency.values) == set(ITIL_TABLE)


# --- Routing ----------------------------------------------------------------------------------


@pytest.fixture
def catch_all(db):
    group = SupportGroupFactory(name="Service Desk")
    RoutingRuleFactory(order=1000, name="Everything else", support_group=group)
    return group


def route(**facts):
    facts = {
        "category": None,
        "service": None,
        "configuration_item": None,
        "organisation": None,
        **facts,
    }
    return route_incident(**facts)


@pytest.mark.django_db
class TestRouting:
    def test_a_rule_on_the_category_wins_over_the_catch_all(self, catch_all):
        network = SupportGroupFactory(name="Network")
        category = CategoryFactory(name="Network")
        RoutingRuleFactory(order=10, category=category, support_group=network)
        assert route(category=category) == network
        assert route(category=CategoryFactory()) == catch_all

    def test_the_catch_all_loses_even_when_it_comes_first(self):
        early_catch_all = SupportGroupFactory()
        RoutingRuleFactory(order=1, support_group=early_catch_all)
        network = SupportGroupFactory()
        category = CategoryFactory()
        RoutingRuleFactory(order=50, category=category, support_group=network)
        assert route(category=category) == network

    def test_order_decides_between_matching_rules(self, catch_all):
        first, second = SupportGroupFactory(), SupportGroupFactory()
        category = CategoryFactory()
        service = ServiceFactory()
        RoutingRuleFactory(order=20, category=category, support_group=second)
        RoutingRuleFactory(order=10, service=service, support_group=first)
        assert route(category=category, service=service) == first
        assert route(category=category) == second

    def test_every_condition_of_a_rule_must_match(self, catch_all):
        group = SupportGroupFactory()
        category, service = CategoryFactory(), ServiceFactory()
        RoutingRuleFactory(order=10, category=category, service=service, support_group=group)
        assert route(category=category) == catch_all
        assert route(category=category, service=service) == group

    def test_a_rule_on_the_organisation(self, catch_all):
        group = SupportGroupFactory()
        requester = EndUserFactory()
        RoutingRuleFactory(order=10, organisation=requester.organisation, support_group=group)
        assert route(organisation=requester.organisation) == group
        created = incident(actor=requester, title="Laptop will not start")
        assert created.organisation == requester.organisation
        assert created.support_group == group

    def test_an_inactive_rule_is_skipped(self, catch_all):
        category = CategoryFactory()
        RoutingRuleFactory(
            order=10, category=category, support_group=SupportGroupFactory(), is_active=False
        )
        assert route(category=category) == catch_all

    def test_a_rule_to_an_inactive_group_is_skipped(self, catch_all):
        category = CategoryFactory()
        RoutingRuleFactory(
            order=10, category=category, support_group=SupportGroupFactory(is_active=False)
        )
        live = SupportGroupFactory()
        RoutingRuleFactory(order=20, category=category, support_group=live)
        assert route(category=category) == live

    def test_an_inactive_catch_all_is_skipped(self):
        RoutingRuleFactory(order=1, support_group=SupportGroupFactory(), is_active=False)
        second = SupportGroupFactory()
        RoutingRuleFactory(order=2, support_group=second)
        assert route() == second

    def test_no_rule_matching_the_ci_group_comes_first(self, catch_all):
        ci_group, service_group = SupportGroupFactory(), SupportGroupFactory()
        service = ServiceFactory(support_group=service_group)
        ci = ConfigurationItemFactory(service=service, support_group=ci_group)
        assert route(service=service, configuration_item=ci) == ci_group

    def test_then_the_service_group(self, catch_all):
        service_group = SupportGroupFactory()
        service = ServiceFactory(support_group=service_group)
        ci = ConfigurationItemFactory(service=service)  # no group of its own
        assert route(service=service, configuration_item=ci) == service_group
        assert route(service=service) == service_group

    def test_inactive_ci_and_service_groups_fall_through_to_the_catch_all(self, catch_all):
        service = ServiceFactory(support_group=SupportGroupFactory(is_active=False))
        ci = ConfigurationItemFactory(support_group=SupportGroupFactory(is_active=False))
        assert route(service=service, configuration_item=ci) == catch_all

    def test_then_the_catch_all(self, catch_all):
        assert route(service=ServiceFactory(), configuration_item=ConfigurationItemFactory()) == (
            catch_all
        )
        assert route() == catch_all

    def test_a_matching_rule_beats_the_ci_and_service_groups(self, catch_all):
        ruled = SupportGroupFactory()
        service = ServiceFactory(support_group=SupportGroupFactory())
        ci = ConfigurationItemFactory(support_group=SupportGroupFactory())
        RoutingRuleFactory(order=10, service=service, support_group=ruled)
        assert route(service=service, configuration_item=ci) == ruled

    def test_a_subcategory_routes_by_its_top_level_category(self, catch_all):
        network = SupportGroupFactory()
        vpn = SubcategoryFactory(name="VPN")
        RoutingRuleFactory(order=10, category=vpn.parent, support_group=network)
        created = incident(subcategory=vpn)
        assert created.category == vpn.parent
        assert created.support_group == network

    def test_nothing_at_all_is_a_field_error_and_nothing_is_saved(self):
        assert route() is None
        before = Incident.objects.count()
        counters_before = list(NumberCounter.objects.values_list("prefix", "value"))
        with pytest.raises(ValidationError) as error:
            incident(category=CategoryFactory())
        assert "support_group" in error.value.message_dict
        assert Incident.objects.count() == before
        # SQLite counts numbers in a row; nothing was drawn there (PostgreSQL uses a sequence).
        assert list(NumberCounter.objects.values_list("prefix", "value")) == counters_before

    def test_a_group_given_by_the_caller_is_kept(self, catch_all):
        chosen = SupportGroupFactory()
        category = CategoryFactory()
        RoutingRuleFactory(order=10, category=category, support_group=SupportGroupFactory())
        assert incident(category=category, support_group=chosen).support_group == chosen
