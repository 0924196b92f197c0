# -*- coding: utf-8 -*-
# Copyright: contributors to the azbackup.vmprep collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment(object):
    """Authentication and cloud options shared by every module of the collection."""

    DOCUMENTATION = r"""
options:
  auth_source:
    description:
      - Where the credentials come from.
      - V(auto) tries, in this order, the module options (O(client_id), O(secret), O(tenant)), the environment
        (E(AZURE_CLIENT_ID), E(AZURE_SECRET) or E(AZURE_CLIENT_SECRET), E(AZURE_TENANT) or E(AZURE_TENANT_ID)), the
        profile of the credential file C(~/.azure/credentials) (O(profile), E(AZURE_PROFILE) or C(default)), then the
        Azure CLI login.
      - V(env), V(credential_file) and V(cli) use only that source.
      - V(msi) uses the managed identity of the machine Ansible runs on; O(client_id) selects a user-assigned identity.
      - The names are those of azure.azcollection and of the AWX / Automation Platform
        C(Microsoft Azure Resource Manager) credential, which sets the same environment variables.
    type: str
    choices: [auto, cli, credential_file, env, msi]
    default: auto
  subscription_id:
    description:
      - The subscription, a GUID.
      - Falls back to E(AZURE_SUBSCRIPTION_ID), then the credential profile, then the Azure CLI's default subscription.
    type: str
  client_id:
    description:
      - The application (client) ID of the service principal, or of a user-assigned managed identity.
      - Falls back to E(AZURE_CLIENT_ID).
    type: str
  secret:
    description:
      - The client secret of the service principal.
      - Falls back to E(AZURE_SECRET), then E(AZURE_CLIENT_SECRET).
      - Never logged or returned, at any verbosity.
    type: str
  tenant:
    description:
      - The Entra ID tenant (directory) ID.
      - Falls back to E(AZURE_TENANT), then E(AZURE_TENANT_ID).
    type: str
  profile:
    description:
      - A section of the credential file C(~/.azure/credentials), in azure.azcollection's ini format with the keys
        C(subscription_id), C(client_id), C(secret), C(tenant) and optionally C(cloud_environment).
      - Falls back to E(AZURE_PROFILE); with O(auth_source=auto) the section C(default) is tried when nothing else
        gives credentials.
    type: str
  cloud_environment:
    description:
      - V(AzureCloud) (default), V(AzureChinaCloud), V(AzureUSGovernment), or the https URL of a Resource Manager
        endpoint (Azure Stack Hub, private and sovereign clouds, the collection's local sandbox).
      - For a URL, the login endpoint and token audience are read from its C(/metadata/endpoints) document, and
        MSAL instance discovery is switched off when the login host is not one Microsoft publishes.
      - Falls back to E(AZURE_CLOUD_ENVIRONMENT), then the credential profile.
    type: str
  ca_bundle:
    description:
      - A PEM file of CA certificates to trust for the Resource Manager and login endpoints, for clouds with their own
        CA. E(REQUESTS_CA_BUNDLE) is honoured as well.
      - TLS verification cannot be switched off.
    type: path
requirements:
  - python >= 3.10
  - azure-identity >= 1.19.0
notes:
  - Requests that Azure answers with 408, 429 or 5xx, dropped connections, and "another operation is in progress"
    answers are retried with exponential backoff and jitter, honouring C(Retry-After).
"""

    INFO_MODULE = r"""
attributes:
  check_mode:
    support: full
    description: Reads only.
  diff_mode:
    support: none
    description: Reads only.
"""

    WAIT = r"""
options:
  wait_timeout:
    description:
      - How many seconds to wait for a long-running operation. The status is polled at the interval Azure asks for.
      - When the time runs out the module fails; the operation goes on in Azure and a later run picks up its result.
    type: int
    default: 900
"""
