"""Schemathesis against our own /api/schema: every operation, valid and invalid data.

Each operation gets FUZZ_EXAMPLES generated requests (20 in `make test`, 200 in `make fuzz`) sent
through Django's WSGI application on the test database, with a fresh token of a registered user,
and every answer is checked: no 5xx, status codes, content types, headers and bodies as documented.
"""

import collections
import json
import os

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings

from accounts.tokens import token_issue

FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "20"))

schema = schemathesis.openapi.from_wsgi("/api/schema", get_wsgi_application())
schema.config.generation.update(
    modes=[schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE],
    max_examples=FUZZ_EXAMPLES,
    # Derandomized: `make test` must not turn red on a new random draw; `make fuzz` explores.
    deterministic=os.environ.get("FUZZ_RANDOM") != "1",
)
# "Valid by the schema, rejected anyway" is a failure only where JSON Schema could say the rule:
# a 400 for a domain rule (an avatar must be your uploaded image, text is not blank after trimming,
# email *or* username), 403 for a room you are not in, 404 for an id that does not exist and 409
# for a taken name are the right answers to schema-valid requests.
schema.config.checks.positive_data_acceptance.expected_statuses = ["2xx", "400", "401", "403", "404", "409"]
# Invalid data must still get a documented status and never a 5xx (checked), but it need not be
# refused: DRF's CharField turns a number into its string ("status": 0 -> "0") and unknown query
# parameters are ignored, both on purpose. So `negative_data_rejection` is off.
schema.config.checks.negative_data_rejection.enabled = False


_answers: collections.Counter = collections.Counter()


@pytest.fixture(scope="module", autouse=True)
def _report_answers():
    """FUZZ_REPORT=<file> writes how many requests each operation got and with which statuses."""
    yield
    if path := os.environ.get("FUZZ_REPORT"):
        with open(path, "w") as report:
            json.dump({f"{key[0]} {key[1]}": count for key, count in sorted(_answers.items())}, report, indent=1)


@pytest.fixture
def fuzz_user(make_user, settings):
    settings.RATE_LIMIT_AUTH = settings.RATE_LIMIT_API = "1000000/m"
    return make_user("fuzzer")


@schema.parametrize()
@settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
@pytest.mark.django_db(transaction=True)
def test_every_operation_answers_as_documented(case, fuzz_user):
    # A fresh token per request: a generated logout or password change must not silence the rest.
    response = case.call_and_validate(headers={"Authorization": f"Bearer {token_issue(fuzz_user)}"})
    _answers[(case.operation.label, response.status_code)] += 1
