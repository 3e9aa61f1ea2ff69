from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kuangan.core import actions
from kuangan.core.actor import Actor
from kuangan.core.choices import Via
from kuangan.core.models import ApiToken, User


class Command(BaseCommand):
    help = "API tokens for machine clients: create (the secret is printed once), list, revoke."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="sub", required=True, metavar="{create,list,revoke}")
        create = sub.add_parser("create", help="create a token for a user and print its secret")
        create.add_argument("username")
        create.add_argument("--name", default="machine client", help="what the token is for")
        sub.add_parser("list", help="list tokens")
        revoke = sub.add_parser("revoke", help="revoke a token by its id")
        revoke.add_argument("token_id", type=int)

    def handle(self, *args: Any, **options: Any) -> None:
        by = Actor.system(Via.SHELL)
        if options["sub"] == "create":
            user = User.objects.filter(username=options["username"]).first()
            if user is None:
                raise CommandError(f"no user named {options['username']!r}")
            _token, secret = actions.create_token(user.pk, by=by, name=options["name"])
            self.stdout.write(secret)
        elif options["sub"] == "list":
            for t in ApiToken.objects.select_related("user"):
                state = "revoked" if t.revoked_at else "active"
                self.stdout.write(f"{t.pk}\t{t.user.username}\t{t.name}\t{t.prefix}…\t{state}")
        else:
            if not ApiToken.objects.filter(pk=options["token_id"]).exists():
                raise CommandError(f"no token with id {options['token_id']}")
            actions.revoke_token(options["token_id"], by=by)
            self.stdout.write(f"token {options['token_id']} revoked")
