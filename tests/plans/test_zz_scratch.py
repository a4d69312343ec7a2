import re
from tests.plans.test_plan_views import *  # noqa

def test_scratch(client_for, trust):
    onboard = action_named(trust, "Onboard TWS and PH onto AATrust network")
    page = main_of(client_for("trustee").get(reverse("plans:action", args=[onboard.pk])))
    t = words(page)
    i = t.index("Academies")
    print(t[i-200:i+200])
