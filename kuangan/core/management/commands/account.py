from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kuangan.core import actions
from kuangan.core.actor import Actor
from kuangan.core.choices import ADMIN_ROLES, OrganizationKind, Via
from kuangan.core.errors import DomainError
from kuangan.core.models import Organization


class Command(BaseCommand):
    help = ("Administrator accounts (三员分立), which no page can create: "
            "create-admin prints a one-time password that must be changed at the first log-in.")

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="sub", required=True, metavar="{create-admin}")
        create = sub.add_parser("create-admin", help="create a system, security or audit administrator")
        create.add_argument("--role", required=True, choices=sorted(ADMIN_ROLES),
                            help="regulator_admin (系统管理员), security_admin (安全管理员) or auditor (审计管理员)")
        create.add_argument("--organization", required=True, help="the regulator's name, e.g. 中阳县应急管理局")
        create.add_argument("--username", required=True)
        create.add_argument("--full-name", default="", help="the person's name")

    def handle(self, *args: Any, **options: Any) -> None:
        org = Organization.objects.filter(name=options["organization"], kind=OrganizationKind.REGULATOR).first()
        if org is None:
            raise CommandError(f"no regulator named {options['organization']!r}")
        try:
            user, password = actions.create_admin(
                by=Actor.system(Via.SHELL), username=options["username"], full_name=options["full_name"],
                organization=org, role=options["role"])
        except DomainError as e:
            raise CommandError(e.message) from None
        self.stdout.write(f"{user.username} ({user.get_role_display()}, {org.name})\n"
                          f"one-time password: {password}\n"
                          "It must be changed at the first log-in; it is not stored and cannot be shown again.")
