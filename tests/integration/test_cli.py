"""The command line itself: --help on every verb, --version, flag errors (runc's shape)."""
import subprocess

import pytest

VERBS = ["spec", "create", "run", "start", "state", "list", "kill", "delete", "pause",
         "resume", "ps", "features", "update", "events"]


def cli(rt, *args):
    return subprocess.run([rt.binary, *args], capture_output=True, text=True, timeout=30)


@pytest.mark.arca_only
@pytest.mark.parametrize("verb", VERBS)
def test_every_verb_has_help(rt, verb):
    r = cli(rt, verb, "--help")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(f"Usage: arca {verb}"), r.stdout
    assert "-h, --help" in r.stdout


@pytest.mark.arca_only
def test_version_and_top_level_help(rt):
    r = cli(rt, "--version")
    assert r.returncode == 0 and r.stdout.startswith("arca version "), r
    assert "spec: 1.2.0" in r.stdout
    top = cli(rt, "--help")
    assert top.returncode == 0
    for verb in VERBS:
        assert f"\n  {verb} " in top.stdout, verb


@pytest.mark.arca_only
@pytest.mark.parametrize("args,message", [
    (["create", "--bundel", "/x", "c1"], 'arca: create: unknown flag "--bundel" (see `arca create --help`)'),
    (["create"], "arca: create: missing ID"),
    (["frob"], 'arca: unknown command "frob" (see `arca --help`)'),
    (["create", "c1", "--preserve-fds", "many"], 'arca: create: flag --preserve-fds: not an integer: "many"'),
    (["create", "c1", "--preserve-fds=-1"], 'arca: create "c1": --preserve-fds: must not be negative'),
])
def test_bad_flags_get_one_clear_line(rt, args, message):
    r = cli(rt, "--root", "/nonexistent-arca-root", *args)
    assert r.returncode != 0
    assert r.stderr.strip() == message


def test_global_flags_before_or_after_the_verb(rt, tmp_path):
    # runc (urfave/cli) takes global flags only before the verb; arca takes both, and
    # Go-style single-dash long names, which engines and scripts use.
    before = cli(rt, "--root", str(tmp_path), "list", "-q")
    single_dash = cli(rt, "-root", str(tmp_path), "list", "-q")
    assert before.returncode == 0, before.stderr
    assert single_dash.returncode == 0, single_dash.stderr
    assert before.stdout == single_dash.stdout == ""
