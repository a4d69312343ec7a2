"""The demo's accounts: one per role, all with the same password (shown on the sign-in page
when DEBUG is on)."""

from django.conf import settings

from academies import permissions
from academies.models import AcademyRole

DEMO_PASSWORD = "trustplan"

# username: (role group, [(academy slug, academy role)], owner code linked to the account, label)
DEMO_USERS = {
    "trustee": (permissions.TRUSTEE, [], None, "Trustee – browses the board's dashboards and plan"),
    "governor": (
        permissions.GOVERNOR,
        [("moreton-school", AcademyRole.GOVERNOR)],
        None,
        "Local governor of Moreton School",
    ),
    "head": (
        permissions.HEADTEACHER,
        [("aldersley-high-school", AcademyRole.HEADTEACHER)],
        None,
        "Headteacher of Aldersley High School",
    ),
    "exechead": (
        permissions.HEADTEACHER,
        [
            ("penn-hall-school", AcademyRole.HEADTEACHER),
            ("tettenhall-wood-school", AcademyRole.HEADTEACHER),
        ],
        None,
        "Executive head of Penn Hall School and Tettenhall Wood School",
    ),
    "central": (permissions.CENTRAL_TEAM, [], "NLI", "Central team (linked to owner NLI)"),
    "admin": (permissions.ADMINISTRATOR, [], None, "Administrator (also Django admin superuser)"),
}


# The demo people's names, as pages show them ("Head's note: … — Priya Shah"). Central team's
# account is the plan's owner NLI.
DEMO_NAMES = {
    "trustee": ("Alex", "Morgan"),
    "governor": ("Sam", "Patel"),
    "head": ("Priya", "Shah"),
    "exechead": ("David", "Okafor"),
    "central": ("Nadia", "Li"),
    "admin": ("Chris", "Wood"),
}


def demo_email(username: str) -> str:
    """The demo people's addresses (example.org is reserved: nothing is ever delivered), so
    invitations, password resets and reminders can be tried with mail printed to the console."""
    return f"{username}@example.org"


def demo_accounts() -> list[tuple[str, str, str]]:
    """The demo accounts, shown on the login page when DEBUG is on."""
    if not settings.DEBUG:
        return []
    return [(username, spec[-1], DEMO_PASSWORD) for username, spec in DEMO_USERS.items()]
