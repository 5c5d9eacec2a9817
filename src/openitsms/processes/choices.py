from django.db import models


class ProcessKind(models.TextChoices):
    OPERATIONAL = "operational", "Service management process (clause 8)"
    MANAGEMENT = "management", "Management system process (clauses 4–10)"


class KpiDirection(models.TextChoices):
    HIGHER = "higher_is_better", "Higher is better"
    LOWER = "lower_is_better", "Lower is better"


class Raci(models.TextChoices):
    RESPONSIBLE = "R", "Responsible"
    ACCOUNTABLE = "A", "Accountable"
    CONSULTED = "C", "Consulted"
    INFORMED = "I", "Informed"
