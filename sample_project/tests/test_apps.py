"""The sample's applications, run from their deployed (published, unpacked, moved) copies.

Run with the stack checks: ``pytest --venvstacks sample_project sample_project/tests``.
"""

import pytest

#: A line each application must print (its results are deterministic).
EXPECTED = {
    "app-integrate": "integral of sin(x) over [0, pi] = 2.000000",
    "app-fetch-stats": "fitted line  y = 2.005 x + 0.963",
    "app-classify": "iris: trained on 105 flowers",
    "app-report": "tabulate   0.9.0      framework-analysis",
}


@pytest.mark.venvstacks_layers("app-*")
def test_application_runs_from_its_deployed_copy(venvstacks_layer):
    result = venvstacks_layer.launch()
    assert EXPECTED[venvstacks_layer.env_name] in result.stdout, result.stdout


def test_report_sees_each_package_in_its_own_layer(venvstacks_deployed):
    output = venvstacks_deployed["app-report"].launch().stdout
    assert "this app's layer: app-report@1" in output
    for package, layer in [("httpx", "framework-http-client"), ("scipy", "framework-scipy")]:
        assert any(
            line.split()[:1] == [package] and line.split()[-1] == layer
            for line in output.splitlines()
        ), output
