"""The actions the SDK registers are exactly the ones domain.yml declares."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

from helpers import DOMAIN
from rasa_sdk import Action
from rasa_sdk.executor import ActionExecutor

import actions
from actions.base import TopupAction


def _subclasses(cls: type) -> set[type]:
    found = set(cls.__subclasses__())
    for sub in list(found):
        found |= _subclasses(sub)
    return found


def _registered_names() -> set[str]:
    for module in pkgutil.walk_packages(actions.__path__, prefix="actions."):
        importlib.import_module(module.name)
    concrete = [c for c in _subclasses(Action) if c.__module__.startswith("actions.") and not inspect.isabstract(c)]
    names = [c().name() for c in concrete]
    assert len(names) == len(set(names)), f"two classes share an action name: {sorted(names)}"
    return set(names)


def test_every_registered_action_is_in_the_domain_and_vice_versa() -> None:
    assert _registered_names() == set(DOMAIN["actions"])


def test_the_sdk_registers_the_same_actions() -> None:
    executor = ActionExecutor()
    executor.register_package("actions")
    assert set(executor.actions) == set(DOMAIN["actions"])


def test_the_shared_base_is_abstract() -> None:
    assert inspect.isabstract(TopupAction)
    assert all(issubclass(c, TopupAction) for c in _subclasses(Action) if c.__module__.startswith("actions."))
