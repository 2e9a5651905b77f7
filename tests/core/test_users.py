"""The users file: salted scrypt hashes (never a password), names, and each user's own paths."""

from __future__ import annotations

import stat

import pytest

from core.errors import UsersError
from core.settings import Settings
from core.users import (UsersFile, hash_password, user_key, user_progress_db, user_reports_dir, users_path,
                        verify_password)


def test_a_hash_verifies_its_password_only_and_is_salted():
    stored = hash_password("correct horse")
    assert stored.startswith("scrypt$16384$8$1$") and "correct horse" not in stored
    assert verify_password("correct horse", stored)
    assert not verify_password("correct hors", stored) and not verify_password("", stored)
    assert hash_password("correct horse") != stored  # a fresh salt each time
    # the same salt gives the same hash: the salt is what makes them differ
    salt = b"0123456789abcdef"
    assert hash_password("pw-123456", salt) == hash_password("pw-123456", salt)


@pytest.mark.parametrize("stored", ["", "plain-password", "scrypt$1$2$3", "md5$16384$8$1$YWJj$YWJj",
                                    "scrypt$16384$8$1$not base64!$YWJj", "scrypt$x$8$1$YWJj$YWJj"])
def test_a_malformed_hash_never_verifies(stored):
    assert verify_password("plain-password", stored) is False


def test_a_tampered_key_does_not_verify():
    scheme, n, r, p, salt, key = hash_password("pw-123456").split("$")
    other = hash_password("other-pw").split("$")[-1]
    assert not verify_password("pw-123456", "$".join([scheme, n, r, p, salt, other]))


@pytest.mark.parametrize("name, key", [("alice", "alice"), (" Alice ", "alice"), ("bob.smith-2", "bob.smith-2"),
                                       ("a_b", "a_b")])
def test_user_names_are_stored_in_lower_case(name, key):
    assert user_key(name) == key


@pytest.mark.parametrize("name", ["", "../etc", "a/b", ".hidden", "-x", "a b", "é", "x" * 33, "a\\b"])
def test_unusable_user_names_are_refused_with_a_sentence(name):
    with pytest.raises(UsersError, match="not a usable user name"):
        user_key(name)


def test_users_file_add_verify_remove(tmp_path):
    users = UsersFile(tmp_path / "d" / "users.json")
    assert users.names() == [] and not users.verify("alice", "whatever1")
    assert users.add("Alice", "s3cret-pw") == "alice"
    users.add("bob", "another-pw")
    assert users.names() == ["alice", "bob"]
    assert users.verify("alice", "s3cret-pw") and users.verify("ALICE", "s3cret-pw")
    assert not users.verify("alice", "another-pw") and not users.verify("carol", "s3cret-pw")
    assert not users.verify("../x", "s3cret-pw")
    text = users.path.read_text()
    assert "s3cret-pw" not in text and "another-pw" not in text
    assert stat.S_IMODE(users.path.stat().st_mode) == 0o600
    with pytest.raises(UsersError, match="exists already.*--replace"):
        users.add("alice", "new-password")
    users.add("alice", "new-password", replace=True)
    assert users.verify("alice", "new-password") and not users.verify("alice", "s3cret-pw")
    users.remove("alice")
    assert users.names() == ["bob"] and not users.verify("alice", "new-password")
    with pytest.raises(UsersError, match="no user 'alice'"):
        users.remove("alice")


def test_short_passwords_are_refused(tmp_path):
    with pytest.raises(UsersError, match="at least 8 characters"):
        UsersFile(tmp_path / "users.json").add("alice", "short")
    assert not (tmp_path / "users.json").exists()


@pytest.mark.parametrize("content", ["not json", "[]", '{"users": {"a": "plain"}}', '{"people": {}}'])
def test_a_broken_users_file_is_one_sentence_naming_it(tmp_path, content):
    path = tmp_path / "users.json"
    path.write_text(content)
    with pytest.raises(UsersError, match=f"the users file {path} cannot be read"):
        UsersFile(path).names()
    assert not UsersFile(path).verify("a", "plain")  # a login is refused, not crashed


def test_each_user_has_own_paths_and_the_file_defaults_to_the_data_dir(tmp_path):
    s = Settings(data_dir=tmp_path)
    assert users_path(s) == tmp_path / "users.json"
    assert users_path(s.replace(users_file=tmp_path / "x.json")) == tmp_path / "x.json"
    assert user_progress_db(s, "Alice") == tmp_path / "users" / "alice" / "progress.sqlite"
    assert user_progress_db(s, "bob") != user_progress_db(s, "alice") != s.paths.progress_db
    assert user_reports_dir(s, "alice") == s.paths.reports_dir / "users" / "alice"
    assert user_progress_db(s, "../x", strict=False) is None
    with pytest.raises(UsersError):
        user_progress_db(s, "../x")
