from pathlib import Path

from greeter.server import greet, greetings


def test_migrations_know_english():
    assert greetings(Path(__file__).parents[1] / "migrations") == {"en": "Hello"}


def test_greeting_names_the_installed_version():
    assert greet("Ada", "Hello") == "Hello, Ada! (greeter 1.2.0)\n"
