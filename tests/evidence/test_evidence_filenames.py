"""The display names of uploaded files (lib/filenames.py)."""

import pytest

from openitsms.lib.filenames import MAX_LENGTH, extension, safe_filename


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("Service report 2026-Q1.pdf", "Service report 2026-Q1.pdf"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\mark\\Desktop\\RACI.xlsx", "RACI.xlsx"),
        ("tab\there\r\nnewline.txt", "tab here newline.txt"),
        ("\x07bell\x7f.txt", "bell.txt"),
        ("...", "file"),
        ("", "file"),
        ("   ", "file"),
        ("Überprüfung Änderungen.docx", "Überprüfung Änderungen.docx"),
        ("名前.txt", "名前.txt"),
        ("trailing dots...", "trailing dots"),
    ],
)
def test_safe_filename(given, expected):
    assert safe_filename(given) == expected


def test_long_names_are_cut_and_keep_their_extension():
    name = safe_filename("a" * 500 + ".pdf")
    assert len(name) == MAX_LENGTH and name.endswith(".pdf")


def test_extension_is_lower_case_without_the_dot():
    assert extension("Report.PDF") == "pdf"
    assert extension("archive.tar.gz") == "gz"
    assert extension("README") == ""
    assert extension("name.") == ""
