"""The open-data API fuzzed from its own OpenAPI document with Schemathesis,
in-process (WSGI), on a published library: for requests within the
documented parameters the API never answers 500, answers 2xx, and every
response conforms to the document (status codes, content types, headers,
bodies).

The schema is loaded from the app of the test session (a fixture), and each
operation's cases are drawn by Hypothesis from ``operation.as_strategy()``
(Schemathesis' ``from_fixture`` does not run under pytest 9); the examples
are the same on every run (the conftest's profile derandomizes).
"""
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

EXAMPLES = 40  # per operation (the JSON pages, the CSV download)


def test_the_open_data_api_keeps_to_its_document(app, library):
    schema = schemathesis.openapi.from_wsgi("/library/data/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert sorted(operation.label for operation in operations) == [
        "GET /library/data/cases.csv", "GET /library/data/cases.json"]
    for operation in operations:

        @settings(max_examples=EXAMPLES, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
        @given(case=operation.as_strategy(generation_mode=GenerationMode.POSITIVE))
        def keeps_to_the_document(case):
            response = case.call_and_validate()
            assert response.status_code < 500

        keeps_to_the_document()
