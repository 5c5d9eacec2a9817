"""Forms are walls too: a choice of records offers only the organisation's own.

Every form class in the project whose fields choose records of an organisation (or people)
must derive from OrgModelForm or OrgForm (OrgScopedFormMixin), which narrows those choices
to the organisation. This test finds such forms automatically.
"""

import importlib
import inspect

from django import forms
from django.apps import apps
from django.contrib.auth import get_user_model

from openitsms.tenancy.forms import OrgScopedFormMixin
from openitsms.tenancy.scoping import OrgScopedModel


def _project_forms():
    for config in apps.get_app_configs():
        if not config.name.startswith("openitsms."):
            continue
        try:
            module = importlib.import_module(f"{config.name}.forms")
        except ModuleNotFoundError:
            continue
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, forms.BaseForm) and cls.__module__ == module.__name__:
                yield cls


def _chooses_records(form_class) -> list[str]:
    User = get_user_model()
    names = []
    for name, field in form_class.base_fields.items():
        queryset = getattr(field, "queryset", None)
        if queryset is not None and issubclass(queryset.model, (OrgScopedModel, User)):
            names.append(name)
    return names


def test_every_form_that_chooses_records_is_scoped_to_the_organisation(db):
    offenders = [
        f"{cls.__module__}.{cls.__name__} ({', '.join(fields)})"
        for cls in _project_forms()
        if (fields := _chooses_records(cls)) and not issubclass(cls, OrgScopedFormMixin)
    ]
    assert not offenders, "derive these from OrgModelForm or OrgForm: " + "; ".join(offenders)
