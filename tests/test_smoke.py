def test_trust_fixture_loads(trust):
    assert trust.objectives.count() == 3
