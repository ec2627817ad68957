"""Fixtures of the platform's unit tests: an in-process platform with a library set up."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.fixtures.platform import InProcessPlatform
from tests.unit.server.certs import Holder, TestCA, make_ca
from tests.unit.server.points_world import PointsWorld, make_points_world
from tests.unit.server.signing import SignedClient
from tests.unit.server.world import World

LIBRARY = "library"
LIBRARY_NUMBER = "1234567890"


@pytest.fixture
def world(inprocess_platform: InProcessPlatform) -> World:
    return World(inprocess_platform)


@pytest.fixture(scope="session")
def test_ca() -> TestCA:
    return make_ca(0)


@dataclass
class Library:
    """A library service with a trusted CA, an enrolled desk and a linked patron."""

    world: World
    ca: TestCA
    desk: SignedClient
    patron: Holder
    patron_mykey_id: str


@pytest.fixture
def library(world: World, test_ca: TestCA) -> Library:
    world.trust(test_ca)
    world.add_service(LIBRARY)
    desk = world.enroll(LIBRARY)
    patron = test_ca.issue(1)
    mykey_id = world.register(patron)
    world.link(mykey_id, LIBRARY, LIBRARY_NUMBER)
    return Library(world, test_ca, desk, patron, mykey_id)


@pytest.fixture
def points(world: World, test_ca: TestCA) -> PointsWorld:
    """α市 (14130) and β市 (13116), a shop, grant and voucher terminals, a supporter."""

    world.trust(test_ca)
    world.add_service(LIBRARY)
    return make_points_world(world, test_ca, LIBRARY)
