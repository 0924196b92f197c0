"""Option precedence against the sandbox: module options, then environment, then the credential-file profile, field
by field. A `profile` never sends requests to its own subscription when `subscription_id` is given."""

from conftest import arm_requests

OTHER_SUB = "99999999-9999-9999-9999-999999999999"
TAGS = {"location": "westeurope", "names": ["AzureBackup"], "region": "westeurope"}
NO_AZURE_ENV = dict(AZURE_CLIENT_ID=None, AZURE_SECRET=None, AZURE_TENANT=None, AZURE_SUBSCRIPTION_ID=None,
                    AZURE_CLOUD_ENVIRONMENT=None)


def write_credentials(tmp_path, sb, secret=None):
    (tmp_path / ".azure").mkdir(exist_ok=True)
    (tmp_path / ".azure" / "credentials").write_text(
        "[prof]\nsubscription_id=%s\nclient_id=%s\nsecret=%s\ntenant=%s\ncloud_environment=%s\n"
        % (sb.subscription_id, sb.client_id, secret or sb.client_secret, sb.tenant_id, sb.url))


def subscriptions_requested(sandbox):
    subs = set()
    for req in arm_requests(sandbox):
        parts = req["path"].split("/")
        if len(parts) > 2 and parts[1].lower() == "subscriptions":
            subs.add(parts[2].lower())
    return subs


def test_explicit_subscription_beats_profile(run, sandbox, tmp_path):
    sandbox.control.load_fixtures({"subscriptions": [{"subscription_id": OTHER_SUB}]})
    sandbox.control.clear_requests()
    write_credentials(tmp_path, sandbox)
    env = run.env(**NO_AZURE_ENV)
    result = run.module("service_tags_info", dict(TAGS, profile="prof", subscription_id=OTHER_SUB), env=env)
    assert not result.get("failed"), result
    assert subscriptions_requested(sandbox) == {OTHER_SUB}

    # The readiness report, every request of it, goes to the explicit subscription as well.
    sandbox.control.clear_requests()
    result = run.module("backup_readiness_info", {"profile": "prof", "subscription_id": OTHER_SUB}, env=env)
    assert not result.get("failed"), result
    assert result["requests"] >= 5
    assert subscriptions_requested(sandbox) == {OTHER_SUB}


def test_environment_subscription_beats_profile(run, sandbox, tmp_path):
    sandbox.control.load_fixtures({"subscriptions": [{"subscription_id": OTHER_SUB}]})
    sandbox.control.clear_requests()
    write_credentials(tmp_path, sandbox)
    env = run.env(**dict(NO_AZURE_ENV, AZURE_SUBSCRIPTION_ID=OTHER_SUB))
    result = run.module("service_tags_info", dict(TAGS, profile="prof"), env=env)
    assert not result.get("failed"), result
    assert subscriptions_requested(sandbox) == {OTHER_SUB}


def test_profile_alone_gives_every_field(run, sandbox, tmp_path):
    write_credentials(tmp_path, sandbox)
    result = run.module("service_tags_info", dict(TAGS, profile="prof"), env=run.env(**NO_AZURE_ENV))
    assert not result.get("failed"), result
    assert subscriptions_requested(sandbox) == {sandbox.subscription_id.lower()}


def test_explicit_secret_beats_profile(run, sandbox, tmp_path):
    write_credentials(tmp_path, sandbox, secret="stale-secret-of-the-profile")
    env = run.env(**NO_AZURE_ENV)
    result = run.module("service_tags_info", dict(TAGS, profile="prof", secret=sandbox.client_secret), env=env)
    assert not result.get("failed"), result
    # And the environment's secret, too.
    result = run.module("service_tags_info", dict(TAGS, profile="prof"),
                        env=run.env(**dict(NO_AZURE_ENV, AZURE_SECRET=sandbox.client_secret)))
    assert not result.get("failed"), result
