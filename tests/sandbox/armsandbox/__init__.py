"""A local Azure Resource Manager emulator ("ARM sandbox") for the azbackup.vmprep tests.

Real azure-identity and Azure management SDK clients talk to it over HTTPS.
See docs/sandbox.md for the fixture format, the control API and what is emulated.
"""

DEFAULT_TENANT_ID = "11111111-1111-1111-1111-111111111111"
DEFAULT_CLIENT_ID = "22222222-2222-2222-2222-222222222222"
DEFAULT_CLIENT_SECRET = "sandbox-secret-value"
DEFAULT_SUBSCRIPTION_ID = "33333333-3333-3333-3333-333333333333"
SANDBOX_AUDIENCE = "https://management.sandbox.local/"
