"""Uploading evidence files: streamed, hashed, versioned, de-duplicated, refused with reasons."""

import hashlib
import os

import pytest
from django.core.exceptions import ValidationError

from openitsms.audit.models import AuditEvent
from openitsms.evidence import actions
from openitsms.evidence.actions import CHUNK_SIZE
from openitsms.evidence.models import EvidenceFile, EvidenceItem
from openitsms.tenancy.scoping import org_scope
from tests.evidence.helpers import add_version, item, req, stored_files, streaming_file, upload


def test_an_upload_is_streamed_in_chunks_and_its_sha256_and_size_are_right(org, manager):
    evidence = item(org, manager)
    content = os.urandom(3 * CHUNK_SIZE + 123)
    stream = streaming_file(content, "capacity-report.pdf")
    with org_scope(org):
        result = actions.upload_version(item=evidence, user=manager, upload=stream)
    version = result.version
    assert version.sha256 == hashlib.sha256(content).hexdigest()
    assert version.size == len(content)
    assert 0 < stream.file.largest_read <= CHUNK_SIZE
    [path] = stored_files()
    assert path.read_bytes() == content
    assert path.name == version.sha256
    assert version.file.name == f"evidence/{org.pk}/{version.sha256[:2]}/{version.sha256}"
    assert version.original_name == "capacity-report.pdf"
    assert version.content_type == "application/pdf"
    assert version.uploaded_by == manager and version.version == 1


def test_versions_are_numbered_one_after_the_other(org, manager):
    evidence = item(org, manager)
    numbers = [add_version(evidence, f"v{n}".encode()).version.version for n in range(1, 4)]
    assert numbers == [1, 2, 3]
    assert list(EvidenceFile.all_orgs.filter(item=evidence).values_list("version", flat=True)) == [
        3,
        2,
        1,
    ]


def test_the_same_content_as_the_latest_version_is_refused_and_nothing_is_stored(org, manager):
    evidence = item(org, manager)
    add_version(evidence, b"policy text", "policy.txt")
    with pytest.raises(ValidationError) as exc:
        add_version(evidence, b"policy text", "policy-copy.txt")
    assert "identical to version 1" in exc.value.message_dict["file"][0]
    assert EvidenceFile.all_orgs.filter(item=evidence).count() == 1
    assert len(stored_files()) == 1


def test_going_back_to_an_older_versions_content_is_allowed_and_said(org, manager):
    evidence = item(org, manager)
    add_version(evidence, b"first")
    add_version(evidence, b"second")
    result = add_version(evidence, b"first")
    assert result.version.version == 3
    assert "version 1 of this item" in result.message
    assert len(stored_files()) == 2  # the bytes of v1 and v3 are stored once


def test_the_same_content_as_another_items_file_is_allowed_and_reported(org, manager):
    first = item(org, manager, title="Supplier contract Bluefin")
    second = item(org, manager, title="Contract review pack")
    add_version(first, b"%PDF contract", "contract.pdf")
    result = add_version(second, b"%PDF contract", "contract.pdf")
    assert [f.item for f in result.same_as] == [first]
    assert "same content as “Supplier contract Bluefin” version 1" in result.message
    assert result.version.file.name == first.versions.get().file.name
    assert len(stored_files()) == 1


def test_same_content_in_another_organisation_is_not_reported(org, other_org, manager, outsider):
    theirs = item(other_org, outsider, title="Harbour secret")
    add_version(theirs, b"shared bytes")
    result = add_version(item(org, manager), b"shared bytes")
    assert result.same_as == []
    assert "Harbour" not in result.message
    assert len(stored_files()) == 2  # each organisation keeps its own copy


def test_a_file_over_the_limit_is_refused_with_the_limit_and_nothing_is_stored(
    org, manager, settings
):
    settings.EVIDENCE_MAX_BYTES = 1000
    evidence = item(org, manager)
    with pytest.raises(ValidationError) as exc:
        add_version(evidence, b"x" * 1001, "big.csv")
    assert "larger than the 1000\xa0bytes limit" in exc.value.message_dict["file"][0]
    assert not EvidenceFile.all_orgs.exists() and stored_files() == []


def test_the_limit_holds_while_streaming_when_the_size_is_not_announced(org, manager, settings):
    settings.EVIDENCE_MAX_BYTES = 10 * 1024
    evidence = item(org, manager)
    with pytest.raises(ValidationError) as exc, org_scope(org):
        actions.upload_version(
            item=evidence, user=manager, upload=streaming_file(b"y" * 20_000, "a.log")
        )
    assert "larger than" in exc.value.message_dict["file"][0]
    assert not EvidenceFile.all_orgs.exists() and stored_files() == []


@pytest.mark.parametrize("name", ["page.html", "logo.svg", "setup.exe", "README"])
def test_file_types_outside_the_accepted_list_are_refused_and_nothing_is_stored(org, manager, name):
    evidence = item(org, manager)
    with pytest.raises(ValidationError) as exc:
        add_version(evidence, b"<script>alert(1)</script>", name)
    message = exc.value.message_dict["file"][0]
    assert "are not accepted" in message and "pdf" in message
    assert not EvidenceFile.all_orgs.exists() and stored_files() == []


def test_accepted_types_come_from_the_setting(org, manager, settings):
    settings.EVIDENCE_ALLOWED_TYPES = ["vsdx"]
    evidence = item(org, manager)
    assert add_version(evidence, b"diagram", "Process map.VSDX").version.version == 1
    with pytest.raises(ValidationError):
        add_version(evidence, b"text", "notes.txt")


def test_an_empty_file_is_refused(org, manager):
    with pytest.raises(ValidationError) as exc:
        add_version(item(org, manager), b"", "empty.txt")
    assert "empty" in exc.value.message_dict["file"][0]


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("..\\..\\windows\\win.ini.txt", "win.ini.txt"),
        ("/var/lib/openitsms/secret_key.txt", "secret_key.txt"),
        ("report\x00\x1b[31m\r\n2026.pdf", "report[31m 2026.pdf"),
        ("invoice\u202etxt.exe.pdf", "invoicetxt.exe.pdf"),
        ('  ..hidden "quoted" name?.md  ', "hidden _quoted_ name_.md"),
    ],
)
def test_uploaded_file_names_are_cleaned_and_never_used_as_the_path(org, manager, given, shown):
    result = add_version(item(org, manager), b"content", given)
    assert result.version.original_name == shown
    [path] = stored_files()
    assert path.name == result.version.sha256
    assert "etc" not in str(path) and "windows" not in str(path)


def test_an_altered_stored_file_is_never_overwritten_by_a_new_upload(org, manager):
    first = item(org, manager, title="First")
    version = add_version(first, b"original bytes").version
    [path] = stored_files()
    path.write_bytes(b"tampered")
    second = item(org, manager, title="Second")
    again = add_version(second, b"original bytes").version
    assert path.read_bytes() == b"tampered"  # left for the verifier to report
    assert again.file.name != version.file.name
    assert again.file.read() == b"original bytes"


def test_creating_evidence_with_a_file_links_requirements_and_processes(org, manager):
    from openitsms.processes.models import Process

    process = Process(
        organisation=org, slug="incident", name="Incident management", kind="operational"
    )
    process.save()
    with org_scope(org):
        result = actions.create_evidence(
            organisation=org,
            user=manager,
            title="Major incident report",
            kind="report",
            effective_on=org_today(),
            requirements=[req("8.6.1")],
            processes=[process],
            upload=upload(b"timeline", "mi-report.md"),
        )
    evidence = result.item
    assert list(evidence.requirements.values_list("number", flat=True)) == ["8.6.1"]
    assert list(evidence.processes.all()) == [process]
    assert result.upload is not None and result.upload.version.note == "First version."
    assert evidence.created_by == manager and evidence.owner is None


def test_a_refused_first_file_leaves_no_item_behind(org, manager):
    with pytest.raises(ValidationError), org_scope(org):
        actions.create_evidence(
            organisation=org,
            user=manager,
            title="Should not exist",
            kind="document",
            effective_on=org_today(),
            upload=upload(b"<svg onload=alert(1)>", "x.svg"),
        )
    assert not EvidenceItem.all_orgs.filter(title="Should not exist").exists()


def test_a_link_needs_its_address_and_validity_cannot_precede_the_effective_date(org, manager):
    with pytest.raises(ValidationError) as exc, org_scope(org):
        actions.create_evidence(
            organisation=org,
            user=manager,
            title="Wiki page",
            kind="link",
            effective_on=org_today(),
            valid_until=org_today().replace(year=org_today().year - 1),
        )
    assert exc.value.message_dict["url"] == ["A link needs its address."]
    assert "cannot be before" in exc.value.message_dict["valid_until"][0]


def test_the_owner_must_be_a_member(org, manager, outsider):
    with pytest.raises(ValidationError) as exc:
        item(org, manager, owner=outsider)
    assert "member" in exc.value.message_dict["owner"][0]


def test_processes_of_another_organisation_cannot_be_linked(org, other_org, manager):
    from openitsms.processes.models import Process

    theirs = Process(organisation=other_org, slug="x", name="Theirs", kind="operational")
    theirs.save()
    with pytest.raises(ValidationError):
        item(org, manager, processes=[theirs])


def test_soft_delete_keeps_the_item_its_files_and_records_it_in_the_audit_trail(org, manager):
    evidence = item(org, manager)
    add_version(evidence, b"kept")
    with org_scope(org):
        actions.delete_evidence(item=evidence)
    evidence.refresh_from_db()
    assert evidence.deleted_at is not None
    assert EvidenceFile.all_orgs.filter(item=evidence).count() == 1
    assert len(stored_files()) == 1
    event = AuditEvent.objects.for_object(evidence).first()
    assert event.action == "delete" and "deleted_at" in event.changes
    with org_scope(org):
        assert not EvidenceItem.objects.live().filter(pk=evidence.pk).exists()
        actions.restore_evidence(item=evidence)
    evidence.refresh_from_db()
    assert evidence.deleted_at is None
    assert AuditEvent.objects.for_object(evidence).first().action == "update"


def test_a_deleted_item_takes_no_new_version(org, manager):
    evidence = item(org, manager)
    with org_scope(org):
        actions.delete_evidence(item=evidence)
    with pytest.raises(ValidationError):
        add_version(evidence, b"late")


def test_link_changes_reach_the_audit_trail(org, manager):
    evidence = item(org, manager)
    with org_scope(org):
        actions.update_evidence(item=evidence, changes={}, requirements=[req("9.3")])
    changes = [e.changes for e in AuditEvent.objects.for_object(evidence)]
    assert {"requirements": {"added": [str(req("9.3").pk)]}} in changes


def org_today():
    from django.utils import timezone

    return timezone.localdate()
