"""Load demonstration data: organisations, teams, one login per role, and a few months of
history for the dashboards. Safe to run again."""

from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import Department, Organisation, SupportGroup, User
from accounts.roles import Role, sync_role_groups
from accounts.services import support_group_set_lead
from catalogue import demo as catalogue_demo
from cmdb import demo as cmdb_demo
from incidents import demo as incidents_demo
from servicedesk.management.demo import checklists as checklists_demo
from servicedesk.management.demo import history
from timekeeping import demo as timekeeping_demo

DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 - printed on purpose: these are demo logins

ORGANISATIONS = {
    "Northwind Trading": ("northwind", ["Finance", "Sales", "Operations"]),
    "Contoso Health": ("contoso", ["Clinical Systems", "Administration"]),
    "Internal IT": ("internal-it", ["IT Operations"]),
}

SUPPORT_GROUPS = {
    "Service Desk": ("First line: the single point of contact for every call.", "servicedesk@example.com"),
    "Network": ("LAN, WAN, Wi-Fi, VPN and firewalls.", "network@example.com"),
    "Servers": ("Physical and virtual servers, storage and backups.", "servers@example.com"),
    "Applications": ("Business applications: ERP, e-mail, OA and the intranet.", "apps@example.com"),
}  # fmt: skip

# email, name, role, organisation, department, support groups, leads, language
PEOPLE = [
    ("enduser@example.com", "Emma Wilson", Role.END_USER, "Northwind Trading", "Finance", [], [], ""),
    ("approver@example.com", "Omid Karimi", Role.END_USER, "Northwind Trading", "Finance", [], [], ""),
    ("sara@example.com", "Sara Ahmadi", Role.END_USER, "Contoso Health", "Clinical Systems", [], [], "fa"),
    ("agent@example.com", "Arash Rahimi", Role.AGENT, "Internal IT", "IT Operations", ["Service Desk"], [], ""),
    ("liwei@example.com", "Li Wei", Role.AGENT, "Internal IT", "IT Operations", ["Service Desk"], [], "zh-hans"),
    ("lead@example.com", "Lena Fischer", Role.GROUP_LEAD, "Internal IT", "IT Operations", ["Service Desk"], ["Service Desk"], ""),
    ("network@example.com", "Nina Novak", Role.GROUP_LEAD, "Internal IT", "IT Operations", ["Network"], ["Network"], ""),
    ("servers@example.com", "Sam Okafor", Role.AGENT, "Internal IT", "IT Operations", ["Servers"], ["Servers"], ""),
    ("apps@example.com", "Aiko Tanaka", Role.AGENT, "Internal IT", "IT Operations", ["Applications"], ["Applications"], ""),
    ("problem@example.com", "Paul Meyer", Role.PROBLEM_MANAGER, "Internal IT", "IT Operations", ["Servers"], [], ""),
    ("change@example.com", "Chen Jing", Role.CHANGE_MANAGER, "Internal IT", "IT Operations", ["Applications"], [], ""),
    ("cab@example.com", "Carla Rossi", Role.CAB_MEMBER, "Internal IT", "IT Operations", ["Network"], [], ""),
    ("cmdb@example.com", "Carlos Mendes", Role.CONFIGURATION_MANAGER, "Internal IT", "IT Operations", ["Servers"], [], ""),
    ("knowledge@example.com", "Kamran Jafari", Role.KNOWLEDGE_MANAGER, "Internal IT", "IT Operations", ["Service Desk"], [], ""),
    ("manager@example.com", "Mona Haddad", Role.DESK_MANAGER, "Internal IT", "IT Operations", [], [], ""),
    ("admin@example.com", "Adam Clarke", Role.ADMINISTRATOR, "Internal IT", "IT Operations", [], [], ""),
]  # fmt: skip

# The first person listed for each role is its demo login.
MANAGERS = {"enduser@example.com": "approver@example.com"}
DEPARTMENT_MANAGERS = {("Northwind Trading", "Finance"): "approver@example.com"}


class Command(BaseCommand):
    help = (
        "Load demonstration data (organisations, support groups, one login per role) and, the "
        "first time, a few months of history (incidents, requests, SLA timers, ratings, "
        "outages) for the dashboards. Idempotent."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--history-days", type=int, default=history.DAYS,
            help=f"how far back the history goes (default {history.DAYS} days)",
        )  # fmt: skip
        parser.add_argument(
            "--history-incidents", type=int, default=history.INCIDENTS,
            help=f"incidents in the history (default {history.INCIDENTS:,})",
        )  # fmt: skip
        parser.add_argument(
            "--history-requests", type=int, default=history.REQUESTS,
            help=f"service requests in the history (default {history.REQUESTS})",
        )  # fmt: skip
        parser.add_argument(
            "--no-history", action="store_true", help="reference data and logins only"
        )

    def handle(self, *args, **options):
        with transaction.atomic():
            self._reference()
            loaded = None
            if not options["no_history"]:
                loaded = history.load(
                    days=options["history_days"],
                    incidents=options["history_incidents"],
                    requests=options["history_requests"],
                )
            incidents_demo.load_samples()
            cmdb_demo.link_sample_incident()
            catalogue_demo.load_samples()
            timekeeping_demo.load_samples()
            checklists_demo.load()  # after the history: only records from now on get them
            if loaded:
                history.refresh_dashboards()
        if loaded:
            self.stdout.write(
                f"History of {options['history_days']} days: {loaded['incidents']:,} incidents "
                f"({loaded['outages']} major, with outages), {loaded['requests']:,} service "
                f"requests, {loaded['incident_timers'] + loaded['request_timers']:,} SLA timers, "
                f"{loaded['incident_ratings'] + loaded['request_ratings']:,} ratings "
                f"in {loaded['seconds']} s."
            )
        self._print_logins()

    def _reference(self):
        sync_role_groups()
        organisations, departments = self._organisations()
        groups = self._support_groups()
        people = self._people(organisations, departments, groups)
        for (org_name, dept_name), email in DEPARTMENT_MANAGERS.items():
            department = departments[org_name, dept_name]
            department.manager = people[email]
            department.save(update_fields=["manager"])
        for email, manager_email in MANAGERS.items():
            people[email].manager = people[manager_email]
            people[email].save(update_fields=["manager"])
        incidents_demo.load()
        cmdb_demo.load()
        catalogue_demo.load()

    def _organisations(self):
        organisations, departments = {}, {}
        for name, (code, department_names) in ORGANISATIONS.items():
            org, _created = Organisation.objects.update_or_create(
                code=code, defaults={"name": name}
            )
            organisations[name] = org
            for department_name in department_names:
                department, _created = Department.objects.get_or_create(
                    organisation=org, name=department_name
                )
                departments[name, department_name] = department
        return organisations, departments

    def _support_groups(self):
        groups = {}
        for name, (description, email) in SUPPORT_GROUPS.items():
            group, _created = SupportGroup.objects.update_or_create(
                name=name, defaults={"description": description, "email": email, "is_active": True}
            )
            groups[name] = group
        return groups

    def _people(self, organisations, departments, groups):
        from django.contrib.auth.hashers import make_password
        from django.contrib.auth.models import Group

        role_groups = {group.name: group for group in Group.objects.filter(name__in=Role.values)}
        # One hash for the one demo password: hashing is deliberately slow, 15 of them took
        # most of a run.
        password = make_password(DEMO_PASSWORD)
        people = {}
        for email, name, role, org_name, dept_name, member_of, leads, language in PEOPLE:
            is_admin = role == Role.ADMINISTRATOR
            user, _created = User.objects.update_or_create(
                email=email,
                defaults={
                    "full_name": name,
                    "organisation": organisations[org_name],
                    "department": departments[org_name, dept_name],
                    "language": language,
                    "is_staff": is_admin,
                    "is_superuser": is_admin,
                    "is_active": True,
                },
            )
            user.password = password
            user.save(update_fields=["password"])
            user.groups.set([role_groups[role]])
            for group_name in member_of:
                groups[group_name].members.add(user)
            for group_name in leads:
                support_group_set_lead(group=groups[group_name], lead=user, actor=user)
            people[email] = user
        return people

    def _print_logins(self):
        seen = set()
        self.stdout.write(self.style.SUCCESS("Demo data loaded. Sign in with any of these:"))
        self.stdout.write(f"  {'Role':<24} {'E-mail':<24} Password")
        for email, _name, role, *_rest in PEOPLE:
            if role in seen:
                continue
            seen.add(role)
            self.stdout.write(f"  {Role(role).label:<24} {email:<24} {DEMO_PASSWORD}")
