"""ConnectWise Manage: settings, auth, conditions, paging, retries, errors, models, client and provider.

Import from the submodules (`psa.connectwise.client`, `psa.connectwise.provider`, ...). Nothing is re-exported
here because psa.provider imports psa.connectwise.models, and psa.connectwise.provider imports psa.provider.
"""
