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
      - V(auto) takes each of O(subscription_id), O(client_id), O(secret), O(tenant) and O(cloud_environment) on
        its own from the first source that gives it, in this order - the module option, the environment
        (E(AZURE_SUBSCRIPTION_ID), E(AZURE_CLIENT_ID), E(AZURE_SECRET) or E(AZURE_CLIENT_SECRET), E(AZURE_TENANT) or
        E(AZURE_TENANT_ID), E(AZURE_CLOUD_ENVIRONMENT)), the profile of the credential file C(~/.azure/credentials)
        (O(profile), E(AZURE_PROFILE) or C(default)), then the Azure CLI login. A profile never overrides an option
        or an environment variable.
      - With O(client_id), O(secret) and O(tenant) found, V(auto) signs in as that service principal; otherwise with
        the Azure CLI login.
      - V(env) signs in with the service principal of the environment, V(credential_file) with that of the profile
        (named, or C(default)), V(cli) with the Azure CLI login; module options still come first, field by field.
        V(env), V(cli) and V(msi) never read the credential file.
      - V(msi) uses the managed identity of the machine Ansible runs on; O(client_id) selects a user-assigned identity.
      - The names are those of azure.azcollection and of the AWX / Automation Platform
        C(Microsoft Azure Resource Manager) credential, which sets the same environment variables.
    type: str
    choices: [auto, cli, credential_file, env, msi]
    default: auto
  subscription_id:
    description:
      - The subscription, a GUID.
      - Falls back to E(AZURE_SUBSCRIPTION_ID), then the credential profile, then (when signing in with the Azure CLI)
        the CLI's default subscription.
      - Wins over the credential profile, also when O(profile) is given.
    type: str
  client_id:
    description:
      - The application (client) ID of the service principal, or of a user-assigned managed identity.
      - Falls back to E(AZURE_CLIENT_ID), then the credential profile.
    type: str
  secret:
    description:
      - The client secret of the service principal.
      - Falls back to E(AZURE_SECRET), then E(AZURE_CLIENT_SECRET), then the credential profile.
      - Never logged or returned, at any verbosity.
    type: str
  tenant:
    description:
      - The Entra ID tenant (directory) ID.
      - Falls back to E(AZURE_TENANT), then E(AZURE_TENANT_ID), then the credential profile.
    type: str
  profile:
    description:
      - A section of the credential file C(~/.azure/credentials), in azure.azcollection's ini format with the keys
        C(subscription_id), C(client_id), C(secret), C(tenant) and optionally C(cloud_environment).
      - Falls back to E(AZURE_PROFILE). Without either, V(auto) reads the section C(default) only when the options
        and the environment do not give all of O(client_id), O(secret) and O(tenant).
      - The profile fills only the fields that neither a module option nor the environment gives.
      - A named profile that is not in the file is an error (V(auto) and V(credential_file); the other values of
        O(auth_source) do not read the file).
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
      - How many seconds to wait for a long-running operation, 1 or more. The status is polled at the interval Azure
        asks for.
      - When the time runs out the module fails; the operation goes on in Azure and a later run picks up its result.
    type: int
    default: 900
"""

    BACKUP_VAULT = r"""
options:
  vault_name:
    description:
      - The Recovery Services vault, for example one made by M(azbackup.vmprep.recovery_vault).
    type: str
    required: true
  vault_resource_group:
    description:
      - The resource group of O(vault_name).
    type: str
    required: true
"""

    BACKUP_VMS = r"""
options:
  vms:
    description:
      - The virtual machines, each a VM resource ID, or a dictionary with C(id), or with C(name) and
        C(resource_group) (and C(subscription_id) when the VM is in another subscription than the run's).
      - Each VM is given once; a VM named twice (as ID and by name, in any letter case) is refused before any request.
    type: list
    elements: raw
"""
