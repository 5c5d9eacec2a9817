from django.db import models


class Role(models.TextChoices):
    """A member's role in one organisation. Order matters: most powerful first."""

    OWNER = "owner", "Owner"
    MANAGER = "manager", "Manager"
    PROCESS_OWNER = "process_owner", "Process owner"
    AUDITOR = "auditor", "Auditor"
    VIEWER = "viewer", "Viewer"


ROLE_HELP = {
    Role.OWNER: "Everything a manager can do, plus members, invitations and roles.",
    Role.MANAGER: "Edits the whole service management system.",
    Role.PROCESS_OWNER: "Reads everything; edits the processes and records they own.",
    Role.AUDITOR: "Reads everything and records audit findings.",
    Role.VIEWER: "Reads everything; changes nothing.",
}
