"""File paths per node OS: Go's filepath.Clean on Linux and Windows, and what the driver and Windows refuse."""

from __future__ import annotations

import posixpath

import pytest

from keyvault_csi.rules.choices import NodeOS
from keyvault_csi.rules.paths import alias_problem, case_variants, go_clean, join, windows_device_name

LINUX, WINDOWS = NodeOS.LINUX, NodeOS.WINDOWS


# Linux (driver pkg/util/fileutil/writer.go, atomic_writer.go compare each path with it).
@pytest.mark.parametrize(
    ("path", "clean"),
    [
        ("", "."),
        (".", "."),
        ("a", "a"),
        ("./a", "a"),
        ("a/", "a"),
        ("a//b", "a/b"),
        ("a/./b", "a/b"),
        ("a/b/../c", "a/c"),
        ("../a", "../a"),
        ("a/../..", ".."),
        ("/../a", "/a"),
        ("//a", "/a"),  # posixpath.normpath keeps the leading '//'
        ("///a//", "/a"),
        ("/", "/"),
        ("a/..", "."),
    ],
)
def test_go_clean_matches_go_filepath_clean(path: str, clean: str) -> None:
    assert go_clean(path) == clean


def test_go_clean_differs_from_normpath_on_a_leading_double_slash() -> None:
    assert posixpath.normpath("//a") == "//a" != go_clean("//a")


@pytest.mark.parametrize(
    ("path", "clean"),
    [
        # Go's path/filepath wincleantests (the cases every Go release since 1.20 agrees on).
        ("c:", "c:."),
        ("c:\\", "c:\\"),
        ("c:\\abc", "c:\\abc"),
        ("c:abc\\..\\..\\.\\.\\..\\def", "c:..\\..\\def"),
        ("c:\\abc\\def\\..\\..", "c:\\"),
        ("c:\\..\\abc", "c:\\abc"),
        ("c:..\\abc", "c:..\\abc"),
        ("\\", "\\"),
        ("/", "\\"),
        ("\\\\host\\share\\foo\\..\\bar", "\\\\host\\share\\bar"),
        ("//host/share/foo/../baz", "\\\\host\\share\\baz"),
        ("\\\\a\\b\\..\\c", "\\\\a\\b\\c"),
        ("\\\\a\\b", "\\\\a\\b"),
        ("a/../c:", ".\\c:"),
        ("a\\..\\c:", ".\\c:"),
        # Go's cleantests, with '\' written by Clean.
        ("", "."),
        ("abc/def/", "abc\\def"),
        ("abc//def//ghi", "abc\\def\\ghi"),
        ("abc/./def", "abc\\def"),
        ("abc/def/../../../ghi/jkl/../../../mno", "..\\..\\mno"),
        ("abc/../../././../def", "..\\..\\def"),
    ],
)
def test_go_clean_on_windows_matches_go(path: str, clean: str) -> None:
    assert go_clean(path, WINDOWS) == clean


def test_go_clean_keeps_a_clean_windows_path_and_rewrites_every_slash() -> None:
    assert go_clean("conf\\secret1", WINDOWS) == "conf\\secret1"
    assert go_clean("conf/secret1", WINDOWS) == "conf\\secret1"
    assert go_clean("conf/secret1") == "conf/secret1"  # Linux: '\' is an ordinary character
    assert go_clean("conf\\\\secret1") == "conf\\\\secret1"


@pytest.mark.parametrize("alias", ["conf\\secret1", "a\\b\\c.pem", "tls.crt", "x" * 255, "nul-file", "icon.d\\x"])
def test_clean_windows_aliases_pass_on_windows(alias: str) -> None:
    assert alias_problem(alias, WINDOWS) is None


@pytest.mark.parametrize(
    ("alias", "fragment"),
    [
        ("conf/secret1", "uses '/', which the driver on Windows nodes refuses (filepath.Clean turns it into '\\'"),
        ("conf/secret1", "write it 'conf\\secret1'"),
        ("a//b", "write it 'a\\b'"),
        ("secret?1", "contains ?, which Windows refuses in a file name"),
        ('a<b>"c', 'contains " < >'),
        ("ab:c", "contains :"),
        ("a|b*c", "contains * |"),
        ("a\\\\b", "must be a clean path on Windows nodes"),
        ("a\\.\\b", "(it would be 'a\\b')"),
        ("a\\", "(it would be 'a')"),
        ("CON", "names a Windows device ('CON')"),
        ("conf\\nul.txt", "names a Windows device ('nul.txt')"),
        ("COM1", "names a Windows device"),
        ("lpt\u00b9", "names a Windows device"),
        ("conin$", "names a Windows device"),
        ("secret.", "has a segment ending in '.' or ' ' ('secret.')"),
        ("dir \\x", "has a segment ending in '.' or ' ' ('dir ')"),
        ("d\\" + "x" * 256, "path segment of 256 bytes"),
        ("..\\x", "must not contain '..'"),
        ("\\x", "must be a relative path"),
    ],
)
def test_windows_refusals_say_why(alias: str, fragment: str) -> None:
    problem = alias_problem(alias, WINDOWS)
    assert problem and fragment in problem


def test_a_slash_path_that_is_still_wrong_on_windows_gets_no_suggestion() -> None:
    problem = alias_problem("conf/secret?1", WINDOWS)
    assert problem and "uses '/'" in problem and "write it" not in problem


def test_linux_keeps_its_rules() -> None:
    assert alias_problem("secret?1", LINUX) is None
    assert alias_problem("CON", LINUX) is None
    problem = alias_problem("a//b", LINUX)
    assert problem and "must be a clean path" in problem and "(it would be 'a/b')" in problem
    # Windows splits at '\': two short segments; Linux sees one of 301 bytes.
    long_windows = "x" * 150 + "\\" + "y" * 150
    assert alias_problem(long_windows, WINDOWS) is None
    problem = alias_problem(long_windows, LINUX)
    assert problem and "301 bytes" in problem


def test_without_an_os_only_what_no_node_can_write_is_refused() -> None:
    assert alias_problem("conf/secret1") is None  # Linux writes it
    assert alias_problem("conf\\secret1") is None  # both write it
    assert alias_problem("x" * 150 + "\\" + "y" * 150) is None  # Windows writes it
    assert alias_problem("a//b") == alias_problem("a//b", LINUX)  # neither: Linux's reason
    assert alias_problem("../x") == alias_problem("../x", WINDOWS)


def test_device_names_fold_case_and_ignore_the_extension_and_trailing_spaces() -> None:
    assert [windows_device_name(n) for n in ["aux", "Aux.pem", "NUL ", "prn.tar.gz", "com0", "COM10", "console"]] == [
        True,
        True,
        True,
        True,
        False,
        False,
        False,
    ]


def test_join_and_case_variants() -> None:
    assert join(WINDOWS, "history", "0") == "history\\0" and join(LINUX, "history", "0") == "history/0"
    assert case_variants(["App.pem", "db", "app.pem", "DB", "x"]) == [("App.pem", "app.pem"), ("db", "DB")]
